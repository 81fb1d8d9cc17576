package imds_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

func TestTransport(t *testing.T) {
	const tokenPath = "/identity/v1/token?version=2025-08-26"
	tests := []struct {
		name    string
		origin  imds.Origin
		ms      scenario.MetadataService
		url     string
		wantErr error // nil: an HTTP answer
		dns     bool
		status  int
	}{
		{"ok/instance-http", imds.Origin{}, ms(true, "http", 1), "http://api.metadata.cloud.ibm.com" + tokenPath, nil, false, 200},
		{"ok/link-local-ip", imds.Origin{}, ms(true, "http", 1), "http://169.254.169.254" + tokenPath, nil, false, 200},
		{"ok/https", imds.Origin{}, ms(true, "https", 1), "https://api.metadata.cloud.ibm.com" + tokenPath, nil, false, 200},
		{"ok/two-hops-limit-two", imds.Origin{Hops: 2}, ms(true, "http", 2), "http://api.metadata.cloud.ibm.com" + tokenPath, nil, false, 200},
		{"ok/disabled-answers-403", imds.Origin{}, ms(false, "http", 1), "http://api.metadata.cloud.ibm.com" + tokenPath, nil, false, 403},
		{"fail/workstation-no-dns", imds.Origin{Place: imds.OnWorkstation}, ms(true, "http", 1), "http://api.metadata.cloud.ibm.com" + tokenPath, nil, true, 0},
		{"fail/unknown-host", imds.Origin{}, ms(true, "http", 1), "http://example.com/", nil, true, 0},
		{"fail/http-when-https", imds.Origin{}, ms(true, "https", 1), "http://api.metadata.cloud.ibm.com" + tokenPath, imds.ErrConnRefused, false, 0},
		{"fail/https-when-http", imds.Origin{}, ms(true, "http", 1), "https://api.metadata.cloud.ibm.com" + tokenPath, imds.ErrConnRefused, false, 0},
		{"fail/wrong-port", imds.Origin{}, ms(true, "http", 1), "http://api.metadata.cloud.ibm.com:8080" + tokenPath, imds.ErrConnRefused, false, 0},
		{"fail/hop-limit", imds.Origin{Hops: 2}, ms(true, "http", 1), "http://api.metadata.cloud.ibm.com" + tokenPath, imds.ErrNoAnswer, false, 0},
		{"fail/vpc-plain-http", imds.Origin{Place: imds.OnWorkstation}, ms(true, "http", 1), "http://us-south.iaas.cloud.ibm.com/v1/instances", imds.ErrConnRefused, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			if err := e.SetMetadataService("", tt.ms); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("PUT", tt.url, strings.NewReader(`{}`))
			req.Header.Set("Metadata-Flavor", "ibm")
			resp, err := (&http.Client{Transport: e.Transport(tt.origin)}).Do(req)
			var dnsErr *net.DNSError
			switch {
			case tt.dns:
				if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
					t.Fatalf("got %v; want a not-found DNS error", err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v; want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Fatalf("status got %d; want %d", resp.StatusCode, tt.status)
				}
				if got, want := resp.Header.Get("Date"), fixture.Time().Format(http.TimeFormat); got != want {
					t.Errorf("Date got %q; want %q (the virtual clock)", got, want)
				}
				if resp.Header.Get("Content-Length") == "" || resp.ContentLength < 0 {
					t.Errorf("no Content-Length")
				}
			}
		})
	}
}

// TestTransportInstanceStopped: a stopped instance reaches nothing, neither the metadata
// service nor the public endpoints, until it is started again; the workstation is unaffected.
func TestTransportInstanceStopped(t *testing.T) {
	e, _ := newEmu(t, nil)
	setStatus := func(status string) {
		t.Helper()
		if err := e.Update(func(s *scenario.Scenario) error { s.Instances[0].Status = status; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(o imds.Origin, url string) error {
		req, _ := http.NewRequest("PUT", url, strings.NewReader(`{}`))
		req.Header.Set("Metadata-Flavor", "ibm")
		resp, err := e.Transport(o).RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	const token = "http://api.metadata.cloud.ibm.com/identity/v1/token?version=2025-08-26"
	setStatus("stopped")
	for _, url := range []string{token, "https://iam.cloud.ibm.com/identity/keys"} {
		err := get(imds.Origin{}, url)
		if !errors.Is(err, imds.ErrInstanceStopped) || !errors.Is(err, imds.ErrConnRefused) {
			t.Errorf("%s from a stopped instance: got %v; want ErrInstanceStopped, which is an ErrConnRefused", url, err)
		}
	}
	if err := get(imds.Origin{Place: imds.OnWorkstation}, "https://iam.cloud.ibm.com/identity/keys"); err != nil {
		t.Errorf("from the workstation while the instance is stopped: got %v; want an answer", err)
	}
	setStatus("running")
	if err := get(imds.Origin{}, token); err != nil {
		t.Errorf("after start: got %v; want an answer", err)
	}
}

func ms(on bool, protocol string, hops int) scenario.MetadataService {
	return scenario.MetadataService{Enabled: on, Protocol: protocol, ResponseHopLimit: hops}
}

func TestServeHTTPRoutesByPathOnLoopback(t *testing.T) {
	e, _ := newEmu(t, nil)
	for path, want := range map[string]int{
		"/_emulator/identity/keys": 200,
		"/_emulator/ca.pem":        200,
		"/_emulator/events":        200,
		"/_emulator/scenario":      200,
		"/_emulator/nope":          404,
		"/identity/keys":           200,
		"/nowhere":                 404,
	} {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:8169"+path, nil)
		rec := &recorder{h: http.Header{}}
		e.ServeHTTP(rec, req)
		if rec.status != want {
			t.Errorf("%s: got %d; want %d", path, rec.status, want)
		}
	}
}

type recorder struct {
	h      http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return len(b), nil
}
