package shell_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/shell"
)

const tokenCmd = `token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{"expires_in": 3600}' | jq -r .access_token)`

// certRequest builds the documented certificate call from a CSR file, the way the pages do.
const certRequest = `csr=$(awk 'NF {sub(/\r/, ""); printf "%s\\n",$0;}' sslcert.csr)
curl -s -X POST "$vpc_metadata_api_endpoint/instance_identity/v1/certificates?version=2024-11-12" \
  -H "Authorization: Bearer $token" \
  -d "{ \"csr\": \"$csr\" }"`

func TestCertificateFlow(t *testing.T) {
	w := newWorld(t)
	r := run(t, w.inst, tokenCmd+`
openssl req -sha256 -newkey rsa:2048 -subj '/C=US/O=Example' -out ./sslcert.csr -keyout file.key -nodes 2>/dev/null
`+certRequest+` > cert.json
jq -r '.certificates[0]' cert.json > leaf.pem
jq -r '.certificates[1]' cert.json > chain.pem
openssl x509 -in leaf.pem -noout -subject -dates
curl -s http://api.metadata.cloud.ibm.com/_emulator/ca.pem > root.pem
openssl verify -CAfile root.pem -untrusted chain.pem leaf.pem
openssl verify -untrusted chain.pem leaf.pem; echo "without the root: $?"
sleep 3601
openssl verify -CAfile root.pem -untrusted chain.pem leaf.pem; echo "an hour later: $?"`)
	want := "subject=C = US, O = Example, CN = " + scenario.DefaultInstanceID + "\n" +
		"notBefore=Mar 12 12:34:56 2026 GMT\nnotAfter=Mar 12 13:34:56 2026 GMT\n" +
		"leaf.pem: OK\nwithout the root: 2\nan hour later: 2\n"
	if r.stdout != want {
		t.Errorf("stdout\n%s\nwant\n%s\nstderr\n%s", r.stdout, want, r.stderr)
	}
	for _, s := range []string{"error 2 at 1 depth lookup: unable to get issuer certificate", "error 10 at 0 depth lookup: certificate has expired"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	// The issued certificate carries the key of the CSR.
	keyPEM, _ := w.inst.ReadFile("file.key")
	leafPEM, _ := w.inst.ReadFile("leaf.pem")
	kb, _ := pem.Decode(keyPEM)
	lb, _ := pem.Decode(leafPEM)
	if kb == nil || lb == nil {
		t.Fatal("missing key or certificate")
	}
	k, _ := x509.ParsePKCS8PrivateKey(kb.Bytes)
	c, err := x509.ParseCertificate(lb.Bytes)
	if err != nil || !c.PublicKey.(*rsa.PublicKey).Equal(&k.(*rsa.PrivateKey).PublicKey) {
		t.Errorf("certificate does not carry the CSR's key: %v", err)
	}
}

// TestCSRWithCommonNameRejected: IBM applies the instance ID as the Common Name itself and
// rejects CSRs that bring their own, or that carry extensions.
func TestCSRRejected(t *testing.T) {
	for _, c := range []struct{ name, req, target string }{
		{"fail/common-name", `openssl req -newkey rsa:2048 -nodes -subj '/C=US/CN=my-host' -keyout k -out sslcert.csr 2>/dev/null`, "csr"},
		{"fail/extensions", `openssl req -newkey rsa:2048 -nodes -subj '/C=US' -addext 'subjectAltName=DNS:x.example' -keyout k -out sslcert.csr 2>/dev/null`, "csr"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			r := run(t, w.inst, tokenCmd+"\n"+c.req+"\n"+certRequest)
			var body struct {
				Errors []struct {
					Code   string
					Target struct{ Name string }
				}
				StatusCode *int `json:"status_code"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &body); err != nil || len(body.Errors) == 0 {
				t.Fatalf("want an error body: %v\n%v", err, r)
			}
			// The metadata host's error body has no status_code, as the real service's.
			if body.StatusCode != nil || body.Errors[0].Code != "invalid_value" || body.Errors[0].Target.Name != c.target {
				t.Errorf("got %+v; want invalid_value on %s and no status_code", body, c.target)
			}
		})
	}
}

func TestOpenSSL(t *testing.T) {
	runCases(t, plain, []shellCase{
		{name: "ok/version", script: `openssl version`, stdout: "OpenSSL 3.0.13 30 Jan 2024 (Library: OpenSSL 3.0.13 30 Jan 2024)\n"},
		{name: "ok/req-text", script: `openssl req -newkey rsa:2048 -nodes -subj '/C=US/ST=Minnesota' -keyout k -out r.csr 2>/dev/null; openssl req -in r.csr -noout -text | grep -E 'Subject:|Public-Key|Attributes|none|Signature Algorithm' | sed 's/^ *//'`,
			stdout: "Subject: C = US, ST = Minnesota\nPublic-Key: (2048 bit)\nAttributes:\n(none)\nSignature Algorithm: sha256WithRSAEncryption\n"},
		{name: "ok/req-existing-key", script: `openssl genrsa -out k.pem 2048 2>/dev/null; openssl req -new -key k.pem -subj /O=x -out r.csr; openssl req -in r.csr -noout -subject -verify`,
			stdout: "subject=O = x\n", stderr: "Certificate request self-signature verify OK"},
		{name: "ok/default-keyout", script: `openssl req -newkey rsa:2048 -nodes -subj /C=US > r.csr 2>/dev/null; ls`, stdout: "privkey.pem  r.csr\n"},
		{name: "ok/rsa-pubout", script: `openssl genrsa 2048 2>/dev/null > k; openssl rsa -in k -pubout 2>/dev/null | head -1`, stdout: "-----BEGIN PUBLIC KEY-----\n"},
		{name: "ok/self-signed-x509", script: `openssl req -x509 -newkey rsa:2048 -nodes -subj '/CN=Test Root' -days 1 -keyout k -out ca.pem 2>/dev/null; openssl x509 -in ca.pem -noout -text | grep -E 'Version|CA:TRUE|Not After'`,
			stdout: "        Version: 3 (0x2)\n            Not After : Mar 13 12:34:56 2026 GMT\n                CA:TRUE\n"},
		{name: "ok/rand-hex", script: `openssl rand -hex 4 | wc -c`, stdout: "9\n"},
		{name: "fail/no-nodes", script: `openssl req -newkey rsa:2048 -subj /C=US -out r.csr`, status: 1, stderr: "add -nodes"},
		{name: "fail/bad-subj", script: `openssl req -newkey rsa:2048 -nodes -subj 'C=US' -out r.csr 2>&1 | grep -c 'not in that format'`, stdout: "1\n"},
		// OpenSSL 3.0 reads an unknown req option as a digest name (recorded from 3.0.19).
		{name: "fail/unknown-option", script: `openssl req -bogus`, status: 1, stderr: "req: Unknown option or message digest: bogus"},
		{name: "fail/invalid-command", script: `openssl bogus`, status: 1, stderr: "Invalid command 'bogus'; type \"help\" for a list."},
		{name: "fail/x509-not-a-cert", script: `echo junk > c.pem; openssl x509 -in c.pem -noout -text`, status: 1, stderr: "Unable to load certificate"},
	})
}

func TestIBMCloud(t *testing.T) {
	w := newWorld(t)
	out := shell.New(shell.Config{Place: imds.OnWorkstation, Transport: w.emu.Transport(imds.Origin{Place: imds.OnWorkstation}), Clock: w.clock})
	r := run(t, out, `ibmcloud is instances`)
	if r.status != 1 || r.stdout != "FAILED\n" || r.stderr != "Not logged in. Use 'ibmcloud login' to log in.\n" {
		t.Errorf("not logged in: %v", r)
	}
	r = run(t, out, `ibmcloud login --apikey `+scenario.OperatorAPIKey+` -r us-south && ibmcloud is instances -q | tail -n +2 | cut -c1-41`)
	if r.status != 0 || !strings.Contains(r.stdout, "Authenticating...\nOK") || !strings.HasSuffix(r.stdout, scenario.DefaultInstanceID+"\n") {
		t.Errorf("login: %v", r)
	}
	r = run(t, out, `ibmcloud login --apikey wrong`)
	if r.status != 1 || !strings.Contains(r.stdout, "FAILED") {
		t.Errorf("bad API key: %v", r)
	}

	// The auto-link flag reaches the API as default_trusted_profile.auto_link.
	w.exchanges = nil
	r = run(t, w.ws, `ibmcloud is instance-create web-1 `+scenario.DefaultVPCID+` `+scenario.DefaultZone+` bx2-2x8 `+scenario.DefaultSubnetID+
		` --image-id `+scenario.DefaultImageID+` --metadata-service true --metadata-service-protocol https --metadata-service-response-hop-limit 3`+
		` --default-trusted-profile `+scenario.LinkedProfileID+` --default-trusted-profile-auto-link false --output json | jq -c .metadata_service`)
	if r.status != 0 || r.stdout != `{"enabled":true,"protocol":"https","response_hop_limit":3}`+"\n" {
		t.Errorf("instance-create: %v", r)
	}
	if n := len(w.exchanges); n == 0 || !strings.Contains(string(w.exchanges[n-1].RequestBody), `"default_trusted_profile":{"auto_link":false,"target":{"id":"`+scenario.LinkedProfileID+`"}}`) {
		t.Errorf("request body: %s", w.exchanges[len(w.exchanges)-1].RequestBody)
	}

	for _, c := range []struct{ script, stdout, stderr string }{
		{`ibmcloud is instance-stop web-1 -f -q | grep Status`, "Status    completed\n", ""},
		{`ibmcloud is instance web-1 -q | grep ^Status`, "Status                                stopped\n", ""},
		{`ibmcloud is instance-start web-1 -q | grep Type`, "Type      start\n", ""},
		{`ibmcloud is instance-reboot web-1 < /dev/null`, "This will reboot instance web-1. Continue?  [y/N] \nOperation cancelled. (Use -f to skip the question.)\n", ""},
		{`ibmcloud is instance-templates -q | cut -c1-41 | tail -n 1`, scenario.DefaultTemplateID + "\n", ""},
		{`ibmcloud is instance-update web-1 --metadata-service maybe`, "FAILED\n", "Incorrect Usage: invalid value for --metadata-service: \"maybe\" (true or false)"},
		{`ibmcloud is instance-update web-1 --default-trusted-profile x`, "FAILED\n", "Incorrect Usage: flag provided but not defined: -default-trusted-profile"},
		{`ibmcloud is frobnicate`, "FAILED\n", "'frobnicate' is not a registered command."},
		{`ibmcloud iam oauth-tokens | cut -c1-20`, "IAM token:  Bearer e\n", ""},
	} {
		r := run(t, w.ws, c.script)
		if r.stdout != c.stdout || !strings.Contains(r.stderr, c.stderr) || c.stderr == "" && r.stderr != "" {
			t.Errorf("$ %s\n%v", c.script, r)
		}
	}

	// An operator who may only read is refused the update, in the CLI's words.
	w.emu.Update(func(s *scenario.Scenario) error {
		s.Operator.Policies = []scenario.Policy{{Service: scenario.VPCService, Roles: []string{"Viewer"}}}
		return nil
	})
	r = run(t, w.ws, `ibmcloud is instance-update web-1 --metadata-service false`)
	want := "Response HTTP Status Code: 403\nError code: not_authorized\nError message: the provided token is not authorized to update the specified instance (ID:"
	if r.status != 1 || !strings.HasSuffix(r.stdout, "FAILED\n") || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "Trace ID: ") {
		t.Errorf("refused update: %v", r)
	}
}

func TestInteractive(t *testing.T) {
	s := plain(t)
	in := strings.NewReader("x=1\necho \"a\\\n$x\"\nif true; then\n  echo yes\nfi\necho 'open\nquote'\njwt decode <TOKEN>\nnosuch\nhistory | tail -n 2\nexit 3\necho never\n")
	var out, errb bytes.Buffer
	st := s.Interactive(context.Background(), in, &out, &errb)
	if st != 3 {
		t.Errorf("status %d; want 3", st)
	}
	wantOut := "instance$ instance$ > a1\ninstance$ > > yes\ninstance$ > open\nquote\ninstance$ instance$ instance$ " +
		"    6  nosuch\n    7  history | tail -n 2\ninstance$ "
	if out.String() != wantOut {
		t.Errorf("stdout\n%q\nwant\n%q", out.String(), wantOut)
	}
	wantErr := "bash: line 1: syntax error near unexpected token `newline'\nnosuch: command not found\nexit\n"
	if errb.String() != wantErr {
		t.Errorf("stderr\n%q\nwant\n%q", errb.String(), wantErr)
	}
	// End of input prints exit and returns the last status.
	out.Reset()
	if st := s.Interactive(context.Background(), strings.NewReader("false\n"), &out, io.Discard); st != 1 || out.String() != "instance$ instance$ exit\n" {
		t.Errorf("EOF: status %d, %q", st, out.String())
	}
}

func TestInteractiveInterrupt(t *testing.T) {
	s := shell.New(shell.Config{Limits: shell.Limits{RunTime: 20 * time.Second}})
	pr, pw := io.Pipe()
	var out fixture.SyncBuffer
	done := make(chan int)
	go func() { done <- s.Interactive(context.Background(), pr, &out, io.Discard) }()
	io.WriteString(pw, "while true; do :; done\n")
	// Give the loop time to start, then press Ctrl-C until the next prompt appears.
	time.Sleep(50 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "instance$ ") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("Interrupt did not stop the command")
		}
		s.Interrupt()
		time.Sleep(5 * time.Millisecond)
	}
	io.WriteString(pw, "echo $?\n")
	pw.Close()
	if st := <-done; st != 0 {
		t.Errorf("status %d", st)
	}
	if !strings.Contains(out.String(), "130\n") {
		t.Errorf("$? after Ctrl-C: %q", out.String())
	}
	// At the prompt, Ctrl-C abandons a continued line and prompts again.
	pr, pw = io.Pipe()
	out.Reset()
	go func() { done <- s.Interactive(context.Background(), pr, &out, io.Discard) }()
	io.WriteString(pw, "echo 'unfinished\n")
	for !strings.HasSuffix(out.String(), "> ") {
		time.Sleep(time.Millisecond)
	}
	s.Interrupt()
	io.WriteString(pw, "echo fresh\n")
	pw.Close()
	<-done
	if !strings.Contains(out.String(), "> \ninstance$ fresh\n") {
		t.Errorf("Ctrl-C at a continuation prompt: %q", out.String())
	}
}
