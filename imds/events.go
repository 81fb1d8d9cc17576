package imds

import (
	"net"
	"net/http"
	"strings"
)

// Event is one Activity Tracker event, in the shape of IBM's Activity Tracker (CADF) events,
// reduced to the fields that say who did what to which resource, and how it ended.
type Event struct {
	ID        string         `json:"id"`
	Action    string         `json:"action"`
	Outcome   string         `json:"outcome"` // success or failure
	Reason    EventReason    `json:"reason"`
	Severity  string         `json:"severity"` // normal, warning or critical
	EventTime string         `json:"eventTime"`
	Message   string         `json:"message"`
	Initiator EventInitiator `json:"initiator"`
	Target    EventTarget    `json:"target"`
	DataEvent bool           `json:"dataEvent"`
}

// EventReason is the HTTP outcome of the call.
type EventReason struct {
	ReasonCode int    `json:"reasonCode"`
	ReasonType string `json:"reasonType"`
	ErrorCode  Code   `json:"errorCode,omitempty"`
}

// EventInitiator is who made the call.
type EventInitiator struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	TypeURI string `json:"typeURI"`
	Address string `json:"host_address,omitempty"`
}

// EventTarget is the resource the call was about.
type EventTarget struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	TypeURI string `json:"typeURI"`
}

// maxEvents bounds the log; the oldest events are dropped first.
const maxEvents = 10000

// recordEvent appends an event to the log, a ring of at most maxEvents.
func (e *Emulator) recordEvent(r *http.Request, action string, status int, code Code, who EventInitiator, what EventTarget) {
	if r != nil {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			who.Address = host
		}
	}
	ev := Event{
		ID: e.newID(), Action: action, Reason: EventReason{ReasonCode: status, ReasonType: http.StatusText(status), ErrorCode: code},
		EventTime: e.now().UTC().Format("2006-01-02T15:04:05.000Z0700"),
		Initiator: who, Target: what, DataEvent: true,
	}
	ev.Outcome, ev.Severity = "success", "normal"
	if status >= 400 {
		ev.Outcome, ev.Severity = "failure", "warning"
	}
	service := "Virtual Server for VPC: "
	if strings.HasPrefix(action, "is.metadata.") {
		service = "Metadata: "
	}
	ev.Message = service + action + " " + what.Name
	if ev.Outcome == "failure" {
		ev.Message += " -failure"
	}
	e.mu.Lock()
	if len(e.events) < maxEvents {
		e.events = append(e.events, ev)
	} else {
		e.events[e.eventsHead] = ev
		e.eventsHead = (e.eventsHead + 1) % maxEvents
	}
	e.mu.Unlock()
}

// Events returns the Activity Tracker events recorded so far, oldest first.
func (e *Emulator) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Event, 0, len(e.events))
	out = append(out, e.events[e.eventsHead:]...)
	return append(out, e.events[:e.eventsHead]...)
}

// eventsBefore copies, under the lock, at most limit events that come just before the event
// with ID before (the newest ones for ""), oldest first; total is the log's length and more
// says whether older events remain. ok is false when no event has that ID.
func (e *Emulator) eventsBefore(before string, limit int) (page []Event, total int, more, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.events)
	at := func(i int) *Event { return &e.events[(e.eventsHead+i)%n] } // i-th oldest
	end := n
	if before != "" {
		end = -1
		for i := n - 1; i >= 0; i-- {
			if at(i).ID == before {
				end = i
				break
			}
		}
		if end < 0 {
			return nil, n, false, false
		}
	}
	from := max(end-limit, 0)
	page = make([]Event, 0, end-from)
	for i := from; i < end; i++ {
		page = append(page, *at(i))
	}
	return page, n, from > 0, true
}
