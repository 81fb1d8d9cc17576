package imds_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
)

// The -update flag rewrites golden files instead of comparing with them, as in
// golang/pkgsite's internal/testing/testhelper. It is registered only if no other test file of
// the package has registered it already, so that the package can share one flag.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "update golden files in testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares a JSON answer, indented, with testdata/<name>.json, or writes it with -update.
func goldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: answer is not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", filepath.FromSlash(name)+".json")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s: answer differs from %s (run go test -update to accept it)\ngot:\n%s", name, path, buf.Bytes())
	}
}

// do sends one request through the in-process network and returns the raw answer.
func roundTrip(t testing.TB, e *imds.Emulator, o imds.Origin, method, url, body string, headers ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Transport: e.Transport(o)}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// ibmError is IBM's error JSON, decoded for assertions.
type ibmError struct {
	Errors []struct {
		Code     string `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
		Target   *struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"target"`
	} `json:"errors"`
	StatusCode int    `json:"status_code"`
	Trace      string `json:"trace"`
}

// wantError checks that an answer is IBM's error JSON with that status, code and target
// ("name type", or "" for none).
func wantError(t testing.TB, status int, body []byte, wantStatus int, wantCode, wantTarget string) {
	t.Helper()
	var e ibmError
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("not an IBM error body (%v): %s", err, body)
	}
	if status != wantStatus || (e.StatusCode != 0 && e.StatusCode != wantStatus) { // none on the metadata host
		t.Errorf("status got %d (status_code %d); want %d: %s", status, e.StatusCode, wantStatus, body)
	}
	if got := e.Errors[0].Code; got != wantCode {
		t.Errorf("code got %q; want %q: %s", got, wantCode, body)
	}
	if e.Errors[0].Message == "" || len(e.Trace) != 36 {
		t.Errorf("error without message or trace: %s", body)
	}
	got := ""
	if tg := e.Errors[0].Target; tg != nil {
		got = tg.Name + " " + tg.Type
	}
	if got != wantTarget {
		t.Errorf("target got %q; want %q: %s", got, wantTarget, body)
	}
}
