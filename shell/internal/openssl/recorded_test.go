package openssl

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/tooltest"
)

// TestRecorded runs openssl beside recordings of Debian bookworm's OpenSSL 3.0 over fixed
// files in testdata (a key, a request made from it and a self-signed certificate, all made by
// the real openssl). Signatures with those keys are deterministic (PKCS #1 v1.5), so requests
// compare byte for byte; a new key is compared by its structure (see normalize). See package
// tooltest; re-record with go test -update.
func TestRecorded(t *testing.T) {
	files := map[string]string{}
	// san-cert.pem (subjectAltName and extendedKeyUsage beside req's own extensions) and
	// v1-cert.pem (no extensions at all) were made from key.pem by the real openssl, as the rest.
	for _, name := range []string{"key.pem", "csr.pem", "cert.pem", "san-cert.pem", "v1-cert.pem"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	key, err := loadKeyPEM([]byte(files["key.pem"]))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
	tool := &Tool{
		Now:       now,
		Rand:      rand.NewChaCha8([32]byte{}),
		KeySource: func(context.Context, int) (*rsa.PrivateKey, error) { return key, nil },
	}
	cases := opensslCases()
	for i := range cases {
		cases[i].Files = files
	}
	tooltest.Suite{Run: func(t *testing.T, c tooltest.Case) tooltest.Result {
		return tooltest.Builtin(tool.Run, c, now)
	}, Normalize: normalize}.Check(t, cases)
}

var (
	// errorStack is OpenSSL's error queue, with addresses and source lines that vary.
	errorStack = regexp.MustCompile(`(?m)^[0-9A-F]+:error:.*\n`)
	// progress is the dots and pluses of a key search.
	progressLine = regexp.MustCompile(`(?m)^[.+*]+\n`)
	// pemBody is the base64 of a PEM block.
	pemBody = regexp.MustCompile(`(?s)(-----BEGIN [A-Z ]+-----\n).*?(-----END)`)
)

// normalize drops OpenSSL's error stack, and for a case that makes a new key (named …newkey… or
// …genrsa…)
// compares the shape of what is printed: a progress line, a PEM block.
func normalize(c tooltest.Case, r tooltest.Result) tooltest.Result {
	r.Stderr = errorStack.ReplaceAllString(r.Stderr, "")
	if strings.Contains(c.Name, "newkey") || strings.Contains(c.Name, "genrsa") {
		r.Stderr = progressLine.ReplaceAllString(r.Stderr, "<progress>\n")
		r.Stdout = pemBody.ReplaceAllString(r.Stdout, "$1<base64>\n$2")
	}
	return r
}

func openssl(args ...string) []string { return append([]string{"openssl"}, args...) }

func opensslCases() []tooltest.Case {
	subj := "/C=US/ST=Texas/L=Dallas/O=Example Corp/OU=Dev"
	return []tooltest.Case{
		{Name: "ok/req-new-text", Args: openssl("req", "-new", "-key", "key.pem", "-subj", subj, "-noout", "-text")},
		{Name: "ok/req-new-pem", Args: openssl("req", "-new", "-key", "key.pem", "-subj", subj)},
		{Name: "ok/req-new-sha384", Args: openssl("req", "-new", "-sha384", "-key", "key.pem", "-subj", "/C=US/O=Example Corp", "-noout", "-text")},
		{Name: "ok/req-in-subject", Args: openssl("req", "-in", "csr.pem", "-noout", "-subject")},
		{Name: "ok/req-in-verify", Args: openssl("req", "-in", "csr.pem", "-noout", "-verify")},
		{Name: "ok/req-in-pubkey", Args: openssl("req", "-in", "csr.pem", "-noout", "-pubkey")},
		{Name: "ok/req-in-text", Args: openssl("req", "-in", "csr.pem", "-noout", "-text")},
		{Name: "ok/req-newkey", Args: openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "new.key", "-subj", "/C=US/O=Example Corp")},
		{Name: "ok/genrsa-silent", Args: openssl("genrsa", "2048")},
		{Name: "ok/genrsa-verbose", Args: openssl("genrsa", "-verbose", "2048")},
		{Name: "ok/genrsa-traditional", Args: openssl("genrsa", "-traditional")},
		{Name: "fail/genrsa-quiet-is-a-cipher-name", Args: openssl("genrsa", "-quiet")},
		{Name: "fail/req-unknown-option", Args: openssl("req", "-bogus")},
		{Name: "fail/req-missing-value", Args: openssl("req", "-new", "-key")},
		{Name: "fail/req-bad-days", Args: openssl("req", "-days", "abc")},
		{Name: "fail/req-flag-with-value", Args: openssl("req", "-noout=1")},
		{Name: "fail/req-in-not-a-request", Args: openssl("req", "-in", "key.pem", "-noout")},
		{Name: "ok/x509-subject", Args: openssl("x509", "-in", "cert.pem", "-noout", "-subject")},
		{Name: "ok/x509-issuer-dates-serial", Args: openssl("x509", "-in", "cert.pem", "-noout", "-issuer", "-dates", "-serial")},
		{Name: "ok/x509-fingerprint", Args: openssl("x509", "-in", "cert.pem", "-noout", "-fingerprint")},
		{Name: "ok/x509-fingerprint-sha256", Args: openssl("x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256")},
		{Name: "ok/x509-text", Args: openssl("x509", "-in", "cert.pem", "-noout", "-text")},
		{Name: "ok/x509-pem", Args: openssl("x509", "-in", "cert.pem")},
		{Name: "ok/x509-pubkey", Args: openssl("x509", "-in", "cert.pem", "-noout", "-pubkey")},
		{Name: "ok/x509-checkend", Args: openssl("x509", "-in", "cert.pem", "-noout", "-checkend", "3600")},
		{Name: "ok/x509-ext-san", Args: openssl("x509", "-in", "san-cert.pem", "-noout", "-ext", "subjectAltName")},
		{Name: "ok/x509-ext-several-in-certificate-order", Args: openssl("x509", "-in", "san-cert.pem", "-noout", "-ext", "subjectAltName,extendedKeyUsage,basicConstraints")},
		{Name: "ok/x509-ext-last-wins-in-place", Args: openssl("x509", "-in", "san-cert.pem", "-noout", "-subject", "-ext", "subjectAltName", "-issuer", "-ext", "basicConstraints")},
		{Name: "ok/x509-ext-key-identifiers", Args: openssl("x509", "-in", "cert.pem", "-noout", "-ext", "subjectKeyIdentifier,authorityKeyIdentifier")},
		{Name: "ok/x509-ext-absent", Args: openssl("x509", "-in", "cert.pem", "-noout", "-ext", "subjectAltName")},
		{Name: "ok/x509-ext-none-at-all", Args: openssl("x509", "-in", "v1-cert.pem", "-noout", "-ext", "subjectAltName")},
		{Name: "ok/x509-ext-unknown-name", Args: openssl("x509", "-in", "san-cert.pem", "-noout", "-ext", "SAN")},
		{Name: "fail/x509-ext-missing-value", Args: openssl("x509", "-in", "san-cert.pem", "-noout", "-ext")},
		{Name: "fail/x509-missing-file", Args: openssl("x509", "-in", "nope.pem", "-noout")},
		{Name: "fail/x509-not-a-certificate", Args: openssl("x509", "-in", "csr.pem", "-noout")},
		{Name: "ok/verify-self-signed", Args: openssl("verify", "-CAfile", "cert.pem", "cert.pem")},
		{Name: "fail/verify-untrusted", Args: openssl("verify", "-no-CAfile", "-no-CApath", "-no-CAstore", "cert.pem")},
		{Name: "fail/verify-unknown-option", Args: openssl("verify", "-bogus")},
		{Name: "ok/rsa-pubout", Args: openssl("rsa", "-in", "key.pem", "-pubout")},
		{Name: "ok/pkey-pubout", Args: openssl("pkey", "-in", "key.pem", "-pubout")},
		{Name: "ok/base64-encode", Args: openssl("base64", "-in", "csr.pem")},
		{Name: "ok/base64-one-line", Args: openssl("base64", "-A"), Stdin: "The quick brown fox jumps over the lazy dog and keeps running far away"},
		{Name: "ok/base64-decode", Args: openssl("base64", "-d"), Stdin: "aGVsbG8gd29ybGQ=\n"},
		{Name: "ok/base64-decode-unpadded-prints-nothing", Args: openssl("base64", "-d"), Stdin: "aGVsbG8gd29ybGQ"},
		{Name: "ok/rand-hex-zero", Args: openssl("rand", "-hex", "0")},
		{Name: "fail/rand-bad-count", Args: openssl("rand", "-hex", "abc")},
		{Name: "fail/invalid-command", Args: openssl("bogus")},
	}
}

func loadKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	return k.(*rsa.PrivateKey), nil
}
