package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// kind is one of the calls the load makes.
type kind int

const (
	kindToken kind = iota
	kindIAM
	kindCert
	kindMetadata
	numKinds
)

var kindNames = [numKinds]string{"token", "iam", "cert", "metadata"}

// actions are the Activity Tracker actions the emulator records for each kind.
var actions = [numKinds]string{
	"is.metadata.jwt-token.create",
	"is.metadata.computeresource-token.request",
	"is.metadata.instance-identity-certificate.create",
	"is.metadata.instance.read",
}

// call is one request the load repeats.
type call struct {
	kind   kind
	method string
	path   string // with its query
	body   []byte
	header http.Header
	status int // the status a correct answer has
}

func (c call) request(ctx context.Context, base string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, c.method, base+c.path, bytes.NewReader(c.body))
	if err != nil {
		return nil, err
	}
	req.Header = c.header.Clone()
	return req, nil
}

// plan is the calls of a scenario, in the order each client cycles through them.
type plan struct {
	name    string
	clients int
	calls   []call
	floor   string // "sign", "bytes" or "" for none
}

// measurement is one run of a plan against one server.
type measurement struct {
	requests int           // answered within the timed window
	failed   int           // non-2xx answers and transport errors, warm-up included
	elapsed  time.Duration // from the window's start to its last answer
	lat      []time.Duration
	sent     [numKinds]int // every request sent, warm-up included
	// bodies are the answers kept for checking, by kind (emulator only).
	bodies   [numKinds][][]byte
	failures []string // the first few failures, for the report
}

func (m *measurement) add(o *measurement) {
	m.requests += o.requests
	m.failed += o.failed
	m.elapsed += o.elapsed
	m.lat = append(m.lat, o.lat...)
	for k := range numKinds {
		m.sent[k] += o.sent[k]
		m.bodies[k] = append(m.bodies[k], o.bodies[k]...)
	}
	for _, f := range o.failures {
		if len(m.failures) < 5 {
			m.failures = append(m.failures, f)
		}
	}
}

func (m *measurement) throughput() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.requests) / m.elapsed.Seconds()
}

// percentile returns the p-th percentile (0 < p ≤ 100) of the sorted latencies.
func (m *measurement) percentile(p float64) time.Duration {
	if len(m.lat) == 0 {
		return 0
	}
	i := int(float64(len(m.lat))*p/100+0.999999) - 1
	return m.lat[max(0, min(i, len(m.lat)-1))]
}

// drive runs p against base: warmup, then the timed window of length d. When budget is
// positive, no more than budget requests are sent in all, and the window ends early when they
// run out. keep says whether to keep the answers for checking.
func drive(ctx context.Context, p plan, clients int, base string, warmup, d time.Duration, budget int, keep bool) *measurement {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	start := time.Now().Add(warmup)
	end := start.Add(d)
	per := make([]*measurement, clients)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w := range clients {
		m := &measurement{}
		per[w] = m
		wg.Go(func() {
			var last time.Time
			for i := w; ctx.Err() == nil; i++ {
				t0 := time.Now()
				if !t0.Before(end) || (budget > 0 && sent.Add(1) > int64(budget)) {
					break
				}
				c := p.calls[i%len(p.calls)]
				m.sent[c.kind]++
				body, err := do(ctx, client, c, base)
				t1 := time.Now()
				timed := !t0.Before(start)
				if err != nil {
					m.failed++
					if len(m.failures) < 5 {
						m.failures = append(m.failures, fmt.Sprintf("%s %s: %v", c.method, c.path, err))
					}
					continue
				}
				if timed {
					m.requests++
					m.lat = append(m.lat, t1.Sub(t0))
					last = t1
				}
				if keep {
					m.bodies[c.kind] = append(m.bodies[c.kind], body)
				}
			}
			if !last.IsZero() {
				m.elapsed = last.Sub(start)
			}
		})
	}
	wg.Wait()
	total := &measurement{}
	for _, m := range per {
		el := total.elapsed
		total.add(m)
		total.elapsed = max(el, m.elapsed)
	}
	return total
}

// sortLat sorts the latencies of m, for percentile.
func sortLat(m *measurement) { slices.Sort(m.lat) }

// do sends one call and returns its body; a status other than the call's is an error.
func do(ctx context.Context, client *http.Client, c call, base string) ([]byte, error) {
	req, err := c.request(ctx, base)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != c.status {
		if len(body) > 200 {
			body = body[:200]
		}
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return body, nil
}
