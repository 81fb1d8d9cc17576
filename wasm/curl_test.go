package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
)

// comparable is the part of an exchange a copied command must reproduce.
func comparable(x Exchange) string {
	var hs []string
	for _, h := range x.ReqHeaders {
		if h[0] == "Authorization" || h[0] == "Content-Type" || h[0] == "Metadata-Flavor" || strings.HasPrefix(h[0], "X-") {
			hs = append(hs, h[0]+": "+h[1])
		}
	}
	slices.Sort(hs)
	return x.Method + " " + x.URL + "\n" + strings.Join(hs, "\n") + "\n" + x.ReqBody
}

// TestCurlCommandRoundTrip runs requests, copies each as curl (expanded and with variables),
// runs the copies in the same session and checks that they send the same request.
func TestCurlCommandRoundTrip(t *testing.T) {
	e, _ := newTestEngine(t)
	scripts := []struct {
		place  imds.Place
		script string
	}{
		{imds.OnInstance, `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -H 'Content-Type: application/json' -d '{"expires_in": 300, "nonce": "it'"'"'s \"odd\" $HOME \\ x"}' | jq -r .access_token)`},
		{imds.OnInstance, `curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26&x=a%20b" -H "Authorization: Bearer $tok" -H "X-Note: tab	and ümlaut" >/dev/null`},
		{imds.OnInstance, `curl -s -I "$vpc_metadata_api_endpoint/metadata/v1/keys?version=2025-08-26" -H "Authorization: Bearer $tok" >/dev/null`},
		{imds.OnWorkstation, `ibmcloud is instance my-virtual-server-2 >/dev/null`},
		{imds.OnWorkstation, `curl -s -X PATCH "$vpc_api_endpoint/v1/instances/0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6?version=2025-08-26&generation=2" -H "Authorization: Bearer $iam_token" -d '{"name": "x'"'"'y"}' >/dev/null`},
	}
	for _, sc := range scripts {
		r := run(t, e, sc.place, sc.script)
		if len(r.Exchanges) == 0 {
			t.Fatalf("%s: no exchange (exit %d, %s)", sc.script, r.Exit, r.Stderr)
		}
		for _, x := range r.Exchanges {
			if !strings.HasPrefix(x.Curl, "curl ") || !strings.HasPrefix(x.CurlVars, "curl ") {
				t.Fatalf("got %q / %q; want curl commands", x.Curl, x.CurlVars)
			}
			for _, cmd := range []string{x.Curl, x.CurlVars} {
				r2 := run(t, e, sc.place, cmd+" >/dev/null")
				if len(r2.Exchanges) != 1 {
					t.Errorf("%s: made %d exchanges (exit %d, %s); want 1", cmd, len(r2.Exchanges), r2.Exit, r2.Stderr)
					continue
				}
				if got, want := comparable(r2.Exchanges[0]), comparable(x); got != want {
					t.Errorf("copy:\n%s\nsent:\n%s\nwant:\n%s", cmd, got, want)
				}
			}
		}
	}
}

// TestCurlCommandVars checks what the copy with variables looks like.
func TestCurlCommandVars(t *testing.T) {
	e, _ := newTestEngine(t)
	r := run(t, e, imds.OnInstance, `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)
curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $tok" >/dev/null`)
	x := r.Exchanges[1]
	want := `curl "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" \
  -H "Authorization: Bearer $tok"`
	if x.CurlVars != want {
		t.Errorf("with variables: got\n%s\nwant\n%s", x.CurlVars, want)
	}
	if !strings.HasPrefix(x.Curl, `curl 'http://api.metadata.cloud.ibm.com/metadata/v1/instance?version=2025-08-26' \
  -H 'Authorization: Bearer eyJ`) {
		t.Errorf("expanded: got\n%s", x.Curl)
	}
}

func TestQuoting(t *testing.T) {
	q := quoter{vars: map[string]string{"endpoint": "http://example.com", "id": "abcdefgh12"}}
	q.order = byValueLength(q.vars)
	for in, want := range map[string]string{
		"plain-word_1.2":                "plain-word_1.2",
		"":                              "''",
		"a b":                           "'a b'",
		"it's":                          `'it'"'"'s'`,
		"http://example.com/x":          `"$endpoint/x"`,
		"http://example.com/abcdefgh12": `"$endpoint/$id"`,
		"abcdefgh12_x":                  `"${id}_x"`,
		`$x "y" http://example.com`:     `"\$x \"y\" $endpoint"`,
		"bell\x07":                      `$'bell\x07'`,
		"a`b`":                          "'a`b`'",
		"bad\xffutf8":                   `$'bad\xffutf8'`,
	} {
		if got := q.word(in); got != want {
			t.Errorf("word(%q) = %s; want %s", in, got, want)
		}
	}
}
