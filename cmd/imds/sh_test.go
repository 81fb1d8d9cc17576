package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSh(t *testing.T) {
	script := filepath.Join(t.TempDir(), "flow.sh")
	os.WriteFile(script, []byte("echo from-file\nexit 7\n"), 0o600)
	token := `curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 60}' | jq .expires_in`
	tests := []struct {
		name   string
		args   []string
		stdin  string
		status int
		stdout string
		stderr string
	}{
		{name: "ok/instance-token", args: []string{"sh", "-c", token}, status: 0, stdout: "60\n"},
		{name: "ok/workstation-ibmcloud", args: []string{"sh", "--on", "workstation", "-c", "ibmcloud is instances"}, status: 0, stdout: "my-virtual-server-2"},
		{name: "ok/workstation-operator", args: []string{"sh", "--on", "workstation", "-c", "ibmcloud is instances"}, status: 0, stdout: "Test Account"},
		{name: "fail/workstation-no-metadata-host", args: []string{"sh", "--on", "workstation", "-c", `curl -s http://api.metadata.cloud.ibm.com/`}, status: 6},
		{name: "fail/hops-beyond-limit", args: []string{"sh", "--hops", "2", "-c", `curl -s -m 3 -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm"`}, status: 28},
		{name: "ok/exit-status", args: []string{"sh", "-c", "exit 3"}, status: 3},
		{name: "fail/syntax", args: []string{"sh", "-c", "if"}, status: 2},
		{name: "ok/file", args: []string{"sh", script}, status: 7, stdout: "from-file\n"},
		{name: "fail/missing-file", args: []string{"sh", "/nonexistent/flow.sh"}, status: 127, stderr: "/nonexistent/flow.sh"},
		{name: "ok/stdin-script", args: []string{"sh"}, stdin: "x=4\necho $((x*2))\n", status: 0, stdout: "8\n"},
		{name: "ok/stdin-dash", args: []string{"sh", "-"}, stdin: "false", status: 1},
		{name: "ok/interactive", args: []string{"sh", "-i"}, stdin: "echo hi\nexit 4\n", status: 4, stdout: "instance$ "},
		{name: "fail/bad-place", args: []string{"sh", "--on", "laptop", "-c", "true"}, status: 2, stderr: `--on: want instance or workstation, not "laptop"`},
		{name: "fail/bad-hops", args: []string{"sh", "--hops", "0", "-c", "true"}, status: 2, stderr: "--hops"},
		{name: "fail/script-and-file", args: []string{"sh", "-c", "true", script}, status: 2, stderr: "at most one"},
		{name: "fail/bad-flag", args: []string{"sh", "--bogus"}, status: 2, stderr: "flag provided but not defined: -bogus"},
		{name: "fail/bad-scenario", args: []string{"sh", "--scenario", "/nonexistent.json", "-c", "true"}, status: 2, stderr: "--scenario"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			c := &cli{ctx: context.Background(), stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr}
			if status := c.run(tc.args); status != tc.status {
				t.Errorf("status: got %d; want %d\nstdout: %s\nstderr: %s", status, tc.status, stdout.String(), stderr.String())
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
