package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// writeScenario writes the default scenario, changed by edit, to a temporary file.
func writeScenario(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	data, _ := json.Marshal(scenario.Default())
	var doc map[string]any
	json.Unmarshal(data, &doc)
	edit(doc)
	data, _ = json.Marshal(doc)
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// firstMetadataService is instances[0].metadata_service of a scenario document.
func firstMetadataService(doc map[string]any) map[string]any {
	return doc["instances"].([]any)[0].(map[string]any)["metadata_service"].(map[string]any)
}

func TestRunExitCodes(t *testing.T) {
	badHops := writeScenario(t, func(d map[string]any) { firstMetadataService(d)["response_hop_limit"] = 0 })
	unknownField := writeScenario(t, func(d map[string]any) { d["regoin"] = "us-east" })
	notJSON := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notJSON, []byte("{"), 0o600)
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string // substrings each stream must hold
		stderr string
	}{
		{name: "fail/no-arguments", args: nil, status: 2, stderr: "Commands:"},
		{name: "ok/help", args: []string{"help"}, status: 0, stdout: "serve "},
		{name: "ok/-h", args: []string{"-h"}, status: 0, stdout: "Usage:"},
		{name: "ok/help-serve", args: []string{"help", "serve"}, status: 0, stdout: "Usage: imds serve"},
		{name: "ok/help-site", args: []string{"help", "site"}, status: 0, stdout: "imds site build"},
		{name: "fail/help-unknown", args: []string{"help", "nope"}, status: 2, stderr: `unknown command "nope"`},
		{name: "fail/help-two", args: []string{"help", "a", "b"}, status: 2, stderr: "Usage: imds help"},
		{name: "fail/unknown-command", args: []string{"nope"}, status: 2, stderr: `unknown command "nope"`},
		{name: "ok/serve-h", args: []string{"serve", "-h"}, status: 0, stdout: "-addr address"},
		{name: "ok/serve-help", args: []string{"serve", "--help"}, status: 0, stdout: "Usage: imds serve"},
		{name: "fail/serve-bad-flag", args: []string{"serve", "--bogus"}, status: 2, stderr: "flag provided but not defined: -bogus"},
		{name: "fail/serve-bad-flag-usage", args: []string{"serve", "--bogus"}, status: 2, stderr: "Usage: imds serve"},
		{name: "fail/serve-bad-bool", args: []string{"serve", "--tls=maybe"}, status: 2, stderr: "-tls"},
		{name: "fail/serve-missing-value", args: []string{"serve", "--addr"}, status: 2, stderr: "flag needs an argument: -addr"},
		{name: "fail/serve-argument", args: []string{"serve", "extra"}, status: 2, stderr: `unexpected argument "extra"`},
		{name: "fail/serve-no-scenario-file", args: []string{"serve", "--scenario", "/nonexistent/world.json"}, status: 2, stderr: "--scenario: open /nonexistent/world.json"},
		{name: "fail/serve-scenario-field", args: []string{"serve", "--scenario", badHops}, status: 2,
			stderr: "field instances[0].metadata_service.response_hop_limit: must be between 1 and 64, not 0"},
		{name: "fail/serve-scenario-unknown-field", args: []string{"serve", "--scenario", unknownField}, status: 2, stderr: "field regoin: unknown field"},
		{name: "fail/serve-scenario-not-json", args: []string{"serve", "--scenario", notJSON}, status: 2, stderr: "scenario " + notJSON},
		{name: "fail/serve-bad-address", args: []string{"serve", "--addr", "256.1.1.1:80"}, status: 1, stderr: "imds serve:"},
		{name: "fail/scenario-argument", args: []string{"scenario", "x"}, status: 2, stderr: `unexpected argument "x"`},
		{name: "fail/scenario-flag", args: []string{"scenario", "-x"}, status: 2, stderr: "flag provided but not defined: -x"},
		{name: "fail/site", args: []string{"site"}, status: 2, stderr: "imds site build"},
		{name: "fail/site-unknown", args: []string{"site", "deploy"}, status: 2, stderr: `unknown subcommand "deploy"`},
		{name: "fail/site-build-flag", args: []string{"site", "build", "--bogus"}, status: 2, stderr: "flag provided but not defined: -bogus"},
		{name: "fail/site-serve-argument", args: []string{"site", "serve", "x"}, status: 2, stderr: `unexpected argument "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tc.args, &stdout, &stderr)
			if status != tc.status {
				t.Errorf("status: got %d; want %d\nstderr: %s", status, tc.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout: got %q; want it to contain %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr: got %q; want it to contain %q", stderr.String(), tc.stderr)
			}
		})
	}
}

func TestScenarioPrintsTheDefault(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := run([]string{"scenario"}, &stdout, &stderr); status != 0 {
		t.Fatalf("status %d: %s", status, stderr.String())
	}
	got, err := scenario.Load(&stdout)
	if err != nil {
		t.Fatalf("the printed scenario does not load back: %v", err)
	}
	if !reflect.DeepEqual(got, scenario.Default()) {
		t.Error("the printed scenario differs from scenario.Default()")
	}
}

// served is an `imds serve` running in process.
type served struct {
	banner string
	url    string // from the banner
	stderr *fixture.SyncBuffer
	stop   func() int // cancels the command and returns its exit status
}

// startServe runs `imds serve` with args plus --addr 127.0.0.1:0 and waits for its banner.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stderr: &fixture.SyncBuffer{}}
	c := &cli{ctx: ctx, stdin: strings.NewReader(""), stdout: pw, stderr: s.stderr}
	done := make(chan int, 1)
	go func() {
		st := c.run(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
		done <- st
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no banner (status %d): %v\nstderr: %s", <-done, err, s.stderr)
	}
	go io.Copy(io.Discard, pr)
	s.banner = strings.TrimSpace(line)
	fields := strings.Fields(s.banner)
	if len(fields) < 3 || fields[1] != "serving" {
		t.Fatalf("banner: got %q; want \"imds: serving URL ...\"", s.banner)
	}
	s.url = fields[2]
	var once sync.Once
	status := 0
	s.stop = func() int {
		once.Do(func() { cancel(); status = <-done })
		return status
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// send makes one request and returns the status and body.
func send(t *testing.T, c *http.Client, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestServe(t *testing.T) {
	srv := startServe(t, "-v")
	if !strings.HasPrefix(srv.url, "http://127.0.0.1:") {
		t.Fatalf("URL: got %q", srv.url)
	}
	wantCurl := `curl -X PUT "` + srv.url + `/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 3600}'`
	if !strings.HasSuffix(srv.banner, wantCurl) {
		t.Errorf("banner: got %q; want it to end with %q", srv.banner, wantCurl)
	}
	client := &http.Client{}
	defer client.CloseIdleConnections()
	status, body := send(t, client, "PUT", srv.url+"/identity/v1/token?version=2025-08-26", `{"expires_in": 3600}`, "Metadata-Flavor", "ibm")
	if status != 200 || !strings.Contains(body, `"access_token"`) {
		t.Fatalf("token: got %d %s", status, body)
	}
	for _, path := range []string{"/identity/keys", imds.EmulatorPrefix + "identity/keys", imds.EmulatorPrefix + "scenario", imds.EmulatorPrefix + "ca.pem"} {
		if status, body := send(t, client, "GET", srv.url+path, ""); status != 200 {
			t.Errorf("GET %s: got %d %s", path, status, body)
		}
	}
	// On loopback, only its own names and the emulated services' (issue 14: a DNS-rebinding
	// page sends its own name as Host).
	for host, want := range map[string]int{"evil.example": 421, "evil.example:8169": 421, "localhost": 200, "[::1]:1": 200,
		"127.0.0.2": 200, "api.metadata.cloud.ibm.com": 200, "API.Metadata.Cloud.IBM.com.": 200, "iam.cloud.ibm.com": 200} {
		req, _ := http.NewRequest("GET", srv.url+imds.EmulatorPrefix+"ca.pem", nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 421 && !strings.Contains(string(body), `"misdirected_request"`)) {
			t.Errorf("Host %s: got %d %s; want %d", host, resp.StatusCode, body, want)
		}
	}
	if st := srv.stop(); st != 0 {
		t.Errorf("exit status after cancel: got %d; want 0", st)
	}
	log := srv.stderr.String()
	for _, want := range []string{"PUT /identity/v1/token?version=2025-08-26 200", "GET /identity/keys 200", "shutting down"} {
		if !strings.Contains(log, want) {
			t.Errorf("log: got %q; want it to contain %q", log, want)
		}
	}
	if strings.Contains(log, "Bearer") {
		t.Error("the log shows a token")
	}
}

func TestServeQuietWithoutV(t *testing.T) {
	srv := startServe(t)
	send(t, http.DefaultClient, "GET", srv.url+"/identity/keys", "")
	srv.stop()
	if log := srv.stderr.String(); strings.Contains(log, "/identity/keys") {
		t.Errorf("without -v: got request log %q", log)
	}
}

// tlsClient trusts the root that the server publishes at /_emulator/ca.pem.
func tlsClient(t *testing.T, base string) *http.Client {
	t.Helper()
	status, pemText := send(t, http.DefaultClient, "GET", base+imds.EmulatorPrefix+"ca.pem", "")
	if status != 200 {
		t.Fatalf("ca.pem: got %d", status)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemText)) {
		t.Fatalf("ca.pem is not PEM: %q", pemText)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestServeTLS(t *testing.T) {
	srv := startServe(t, "--tls")
	if !strings.HasPrefix(srv.url, "https://127.0.0.1:") {
		t.Fatalf("URL: got %q; want https://127.0.0.1:...", srv.url)
	}
	hostport := strings.TrimPrefix(srv.url, "https://")
	plain := "http://" + hostport
	if !strings.Contains(srv.banner, "curl -s "+plain+"/_emulator/ca.pem -o imds-ca.pem && curl --cacert imds-ca.pem -X PUT \""+srv.url) {
		t.Errorf("banner does not say how to get the root: %q", srv.banner)
	}
	client := tlsClient(t, plain)
	defer client.CloseIdleConnections()
	if status, body := send(t, client, "PUT", srv.url+"/identity/v1/token?version=2025-08-26", "", "Metadata-Flavor", "ibm"); status != 200 {
		t.Fatalf("token over TLS: got %d %s", status, body)
	}
	// Plain HTTP to the metadata service finds the connection closed.
	req, _ := http.NewRequest("PUT", plain+"/identity/v1/token?version=2025-08-26", nil)
	req.Header.Set("Metadata-Flavor", "ibm")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("plain http with secure access on: got %d; want the connection closed", resp.StatusCode)
	}
}

func TestServeScenarioFile(t *testing.T) {
	path := writeScenario(t, func(d map[string]any) {
		firstMetadataService(d)["protocol"] = "https"
		d["name"] = "from-a-file"
	})
	srv := startServe(t, "--scenario", path)
	if !strings.HasPrefix(srv.url, "https://") {
		t.Errorf("a scenario with protocol https: got URL %q; want https", srv.url)
	}
	plain := "http://" + strings.TrimPrefix(srv.url, "https://")
	if status, body := send(t, http.DefaultClient, "GET", plain+imds.EmulatorPrefix+"scenario", ""); status != 200 || !strings.Contains(body, `"from-a-file"`) {
		t.Errorf("scenario: got %d %.80s", status, body)
	}
}
