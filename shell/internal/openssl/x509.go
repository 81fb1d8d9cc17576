package openssl

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// parseCerts reads every certificate in a PEM file.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" && b.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}

func fingerprint(raw []byte, sha string) string {
	var sum []byte
	name := "SHA1"
	if sha == "sha256" {
		// The default digest is named SHA1; one named with -sha256 keeps its option's spelling.
		s := sha256.Sum256(raw)
		sum, name = s[:], "sha256"
	} else {
		s := sha1.Sum(raw)
		sum = s[:]
	}
	parts := make([]string, len(sum))
	for i, c := range sum {
		parts[i] = fmt.Sprintf("%02X", c)
	}
	return name + " Fingerprint=" + strings.Join(parts, ":")
}

// x509Options is one `openssl x509` command line.
type x509Options struct {
	in, out, sha string
	noout, text  bool
	checkend     int
	prints       []string // -subject, -issuer … in command-line order
	ext          string   // -ext's comma-separated short names; the last -ext wins, in its place
}

func (x *x509Options) table() []builtin.Option {
	t := append([]builtin.Option{
		{Long: "in", Value: builtin.Str(&x.in)}, {Long: "out", Value: builtin.Str(&x.out)},
		{Long: "noout", Flag: builtin.Set(&x.noout)}, {Long: "text", Flag: builtin.Set(&x.text)},
		{Long: "sha1", Flag: func() { x.sha = "sha1" }}, {Long: "sha256", Flag: func() { x.sha = "sha256" }},
		{Long: "checkend", Value: number(&x.checkend)},
		{Long: "ext", Value: func(v string) error {
			x.prints = append(slices.DeleteFunc(x.prints, func(p string) bool { return p == "ext" }), "ext")
			x.ext = v
			return nil
		}},
	}, builtin.Refused("inform outform nameopt certopt")...)
	for _, p := range []string{"subject", "issuer", "dates", "startdate", "enddate", "serial", "pubkey", "email", "fingerprint"} {
		t = append(t, builtin.Option{Long: p, Flag: func() { x.prints = append(x.prints, p) }})
	}
	return t
}

func (t *Tool) x509(e *builtin.Env, list []string) int {
	x := x509Options{sha: "sha1", checkend: -1}
	if rest, ok := parse(e, "x509", x.table(), list); !ok || len(rest) > 0 {
		if ok {
			fmt.Fprintln(e.Stderr, "x509: Use -help for summary.")
		}
		return 1
	}
	data, err := readPEMFile(e, x.in)
	if err != nil {
		fmt.Fprintf(e.Stderr, "Could not open file or uri for loading certificate from %s\nUnable to load certificate\n", x.in)
		return 1
	}
	certs, err := parseCerts(data)
	if err != nil {
		fmt.Fprintf(e.Stderr, "Could not read certificate from %s\nUnable to load certificate\n", orStdin(x.in))
		return 1
	}
	c := certs[0]
	var b strings.Builder
	for _, p := range x.prints {
		if p == "ext" {
			b.WriteString(x.extensions(e, c))
			continue
		}
		b.WriteString(x.field(c, p))
	}
	if x.text {
		b.WriteString(certText(c))
	}
	status := 0
	if x.checkend >= 0 {
		if t.now().Add(time.Duration(x.checkend) * time.Second).After(c.NotAfter) {
			b.WriteString("Certificate will expire\n")
			status = 1
		} else {
			b.WriteString("Certificate will not expire\n")
		}
	}
	if !x.noout && x.checkend < 0 {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return writeOutput(e, "x509", x.out, b.String(), 0o644, status)
}

// extensions is what -ext prints: the certificate's extensions that -ext names, in the
// certificate's order. When none is named, OpenSSL 3.0 says so on standard error, in words that
// do not distinguish a certificate without extensions from one without those, and succeeds.
func (x *x509Options) extensions(e *builtin.Env, c *x509.Certificate) string {
	names := strings.Split(x.ext, ",")
	var exts []pkix.Extension
	for _, ext := range c.Extensions {
		if short := extNames[ext.Id.String()].short; short != "" && slices.Contains(names, short) {
			exts = append(exts, ext)
		}
	}
	if len(exts) == 0 {
		fmt.Fprintln(e.Stderr, "No extensions in certificate")
		return ""
	}
	return extensionsText(c, exts, "")
}

// field is what one of -subject, -issuer, -dates … prints.
func (x *x509Options) field(c *x509.Certificate, p string) string {
	switch p {
	case "subject":
		return fmt.Sprintf("subject=%s\n", oneline(c.RawSubject))
	case "issuer":
		return fmt.Sprintf("issuer=%s\n", oneline(c.RawIssuer))
	case "dates":
		return fmt.Sprintf("notBefore=%s\nnotAfter=%s\n", asn1Time(c.NotBefore), asn1Time(c.NotAfter))
	case "startdate":
		return fmt.Sprintf("notBefore=%s\n", asn1Time(c.NotBefore))
	case "enddate":
		return fmt.Sprintf("notAfter=%s\n", asn1Time(c.NotAfter))
	case "serial":
		return fmt.Sprintf("serial=%X\n", c.SerialNumber)
	case "fingerprint":
		return fingerprint(c.Raw, x.sha) + "\n"
	case "email":
		var b strings.Builder
		for _, m := range c.EmailAddresses {
			b.WriteString(m + "\n")
		}
		return b.String()
	}
	der, _ := x509.MarshalPKIXPublicKey(c.PublicKey) // -pubkey
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// verify checks certificates against -CAfile (or the system store) with -untrusted
// intermediates at the virtual time, reporting failures with OpenSSL's error numbers.
func (t *Tool) verify(e *builtin.Env, list []string) int {
	var caFiles, untrusted []string
	var noCAFile, showChain bool
	files, ok := parse(e, "verify", append([]builtin.Option{
		{Long: "CAfile", Value: builtin.Add(&caFiles)}, {Long: "trusted", Value: builtin.Add(&caFiles)},
		{Long: "untrusted", Value: builtin.Add(&untrusted)},
		{Long: "no-CAfile", Flag: builtin.Set(&noCAFile)}, {Long: "no-CApath", Flag: builtin.Set(&noCAFile)},
		{Long: "no-CAstore", Flag: builtin.Set(&noCAFile)}, {Long: "show_chain", Flag: builtin.Set(&showChain)},
		{Long: "verbose", Flag: builtin.Ignore}, {Long: "x509_strict", Flag: builtin.Ignore},
	}, builtin.Refused("purpose CApath verify_hostname verify_email attime nameopt partial_chain check_ss_sig")...), list)
	if !ok {
		return 1
	}
	roots := x509.NewCertPool()
	if t.Roots != nil && !noCAFile && len(caFiles) == 0 {
		roots = t.Roots.Clone()
	}
	inter := x509.NewCertPool()
	var interCerts []*x509.Certificate
	for _, f := range caFiles {
		if _, ok := loadPool(e, f, roots); !ok {
			return 2
		}
	}
	for _, f := range untrusted {
		cs, ok := loadPool(e, f, inter)
		if !ok {
			return 2
		}
		interCerts = append(interCerts, cs...)
	}
	if len(files) == 0 {
		files = []string{""}
	}
	status := 0
	for _, f := range files {
		if !t.verifyOne(e, f, roots, inter, interCerts, showChain) {
			status = 2
		}
	}
	return status
}

// loadPool adds the certificates of a file to pool and returns them.
func loadPool(e *builtin.Env, name string, pool *x509.CertPool) ([]*x509.Certificate, bool) {
	data, err := e.ReadFile(name)
	var certs []*x509.Certificate
	if err == nil {
		certs, err = parseCerts(data)
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "Error loading file %s\n", name)
		return nil, false
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return certs, true
}

// verifyOne verifies the certificate in one file and reports the outcome as openssl does.
func (t *Tool) verifyOne(e *builtin.Env, f string, roots, inter *x509.CertPool, interCerts []*x509.Certificate, showChain bool) bool {
	label := f
	if f == "" || f == "-" {
		label, f = "stdin", ""
	}
	data, err := readPEMFile(e, f)
	var certs []*x509.Certificate
	if err == nil {
		certs, err = parseCerts(data)
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "Could not read certificate from %s\nUnable to load certificate file\n", label)
		return false
	}
	leaf := certs[0]
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: t.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		failing, depth, code, reason := explain(leaf, interCerts, roots, t.now(), err)
		fmt.Fprintln(e.Stderr, oneline(failing.RawSubject))
		fmt.Fprintf(e.Stderr, "error %d at %d depth lookup: %s\n", code, depth, reason)
		fmt.Fprintf(e.Stderr, "error %s: verification failed\n", label)
		return false
	}
	fmt.Fprintf(e.Stdout, "%s: OK\n", label)
	if showChain && len(chains) > 0 {
		fmt.Fprintln(e.Stdout, "Chain:")
		for i, c := range chains[0] {
			extra := ""
			if i > 0 && i == len(chains[0])-1 {
				extra = " (self-signed)"
			}
			fmt.Fprintf(e.Stdout, "depth=%d: %s%s\n", i, oneline(c.RawSubject), extra)
		}
	}
	return true
}

// explain maps a crypto/x509 verification error onto OpenSSL's X509_V_ERR numbers, naming the
// certificate at fault and its depth in the chain.
func explain(leaf *x509.Certificate, inter []*x509.Certificate, roots *x509.CertPool, now time.Time, err error) (*x509.Certificate, int, int, string) {
	// Walk up through the untrusted certificates to see how far the chain gets.
	chain := []*x509.Certificate{leaf}
	for len(chain) < 10 {
		cur := chain[len(chain)-1]
		var next *x509.Certificate
		for _, c := range inter {
			if string(c.RawSubject) == string(cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil && c != cur {
				next = c
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
	}
	for i, c := range chain {
		if now.After(c.NotAfter) {
			return c, i, 10, "certificate has expired"
		}
		if now.Before(c.NotBefore) {
			return c, i, 9, "certificate is not yet valid"
		}
	}
	top := chain[len(chain)-1]
	if string(top.RawSubject) == string(top.RawIssuer) {
		if len(chain) == 1 {
			return top, 0, 18, "self-signed certificate"
		}
		return top, len(chain) - 1, 19, "self-signed certificate in certificate chain"
	}
	var cie x509.CertificateInvalidError
	if errors.As(err, &cie) {
		return cie.Cert, 0, 26, "unsupported certificate purpose"
	}
	if len(chain) > 1 {
		return top, len(chain) - 1, 2, "unable to get issuer certificate"
	}
	return top, len(chain) - 1, 20, "unable to get local issuer certificate"
}
