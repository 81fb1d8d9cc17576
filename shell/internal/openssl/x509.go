package openssl

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
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
	if sha == "-sha256" {
		s := sha256.Sum256(raw)
		sum, name = s[:], "SHA256"
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

func (t *Tool) x509(e *builtin.Env, list []string) int {
	a := &args{prog: "x509", list: list}
	in, out := "", ""
	noout, text, fp := false, false, false
	sha := "-sha1"
	checkend := int64(-1)
	var prints []string
	for {
		s, ok := a.next()
		if !ok {
			break
		}
		switch s {
		case "-in":
			in = a.value(s)
		case "-out":
			out = a.value(s)
		case "-noout":
			noout = true
		case "-text":
			text = true
		case "-subject", "-issuer", "-dates", "-startdate", "-enddate", "-serial", "-pubkey", "-ext", "-email":
			if s == "-ext" {
				a.value(s)
				continue
			}
			prints = append(prints, s)
		case "-fingerprint":
			fp = true
			prints = append(prints, s)
		case "-sha1", "-sha256":
			sha = s
		case "-checkend":
			v := a.value(s)
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				fmt.Fprintf(e.Stderr, "x509: Invalid number \"%s\" for option -checkend\n", v)
				return 1
			}
			checkend = n
		case "-inform", "-outform", "-nameopt", "-certopt":
			a.value(s)
		default:
			return unknown(e, "x509", s)
		}
		if a.err != nil {
			fmt.Fprintln(e.Stderr, a.err)
			return 1
		}
	}
	_ = fp
	data, err := readPEMFile(e, in)
	if err != nil {
		fmt.Fprintf(e.Stderr, "Could not open file or uri for loading certificate from %s: %s\n", in, builtin.Reason(err))
		return 1
	}
	certs, err := parseCerts(data)
	if err != nil {
		fmt.Fprintf(e.Stderr, "Could not read certificate from %s\nUnable to load certificate\n", orStdin(in))
		return 1
	}
	c := certs[0]
	var b strings.Builder
	for _, p := range prints {
		switch p {
		case "-subject":
			fmt.Fprintf(&b, "subject=%s\n", oneline(c.RawSubject))
		case "-issuer":
			fmt.Fprintf(&b, "issuer=%s\n", oneline(c.RawIssuer))
		case "-dates":
			fmt.Fprintf(&b, "notBefore=%s\nnotAfter=%s\n", asn1Time(c.NotBefore), asn1Time(c.NotAfter))
		case "-startdate":
			fmt.Fprintf(&b, "notBefore=%s\n", asn1Time(c.NotBefore))
		case "-enddate":
			fmt.Fprintf(&b, "notAfter=%s\n", asn1Time(c.NotAfter))
		case "-serial":
			fmt.Fprintf(&b, "serial=%X\n", c.SerialNumber)
		case "-fingerprint":
			fmt.Fprintf(&b, "%s\n", fingerprint(c.Raw, sha))
		case "-email":
			for _, m := range c.EmailAddresses {
				b.WriteString(m + "\n")
			}
		case "-pubkey":
			der, _ := x509.MarshalPKIXPublicKey(c.PublicKey)
			b.Write(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		}
	}
	if text {
		b.WriteString(certText(c))
	}
	status := 0
	if checkend >= 0 {
		if t.now().Add(time.Duration(checkend) * time.Second).After(c.NotAfter) {
			b.WriteString("Certificate will expire\n")
			status = 1
		} else {
			b.WriteString("Certificate will not expire\n")
		}
	}
	if !noout && checkend < 0 {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	if out != "" {
		if err := e.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(e.Stderr, "x509: Can't open \"%s\" for writing, %s\n", out, builtin.Reason(err))
			return 1
		}
		return status
	}
	e.Stdout.Write([]byte(b.String()))
	return status
}

// verify checks certificates against -CAfile (or the system store) with -untrusted
// intermediates at the virtual time, reporting failures with OpenSSL's error numbers.
func (t *Tool) verify(e *builtin.Env, list []string) int {
	a := &args{prog: "verify", list: list}
	var caFiles, untrusted, files []string
	noCAFile, showChain := false, false
	for {
		s, ok := a.next()
		if !ok {
			break
		}
		switch s {
		case "-CAfile", "-trusted":
			caFiles = append(caFiles, a.value(s))
		case "-untrusted":
			untrusted = append(untrusted, a.value(s))
		case "-no-CAfile", "-no-CApath", "-no-CAstore":
			noCAFile = true
		case "-show_chain":
			showChain = true
		case "-purpose", "-CApath", "-verify_hostname", "-verify_email", "-attime", "-nameopt":
			a.value(s)
		case "-verbose", "-x509_strict", "-partial_chain", "-check_ss_sig":
		default:
			if strings.HasPrefix(s, "-") && s != "-" {
				return unknown(e, "verify", s)
			}
			files = append(files, s)
		}
		if a.err != nil {
			fmt.Fprintln(e.Stderr, a.err)
			return 1
		}
	}
	roots := x509.NewCertPool()
	if t.Roots != nil && !noCAFile && len(caFiles) == 0 {
		roots = t.Roots.Clone()
	}
	load := func(name string, pool *x509.CertPool) bool {
		data, err := e.ReadFile(name)
		if err != nil {
			fmt.Fprintf(e.Stderr, "Error loading file %s\n", name)
			return false
		}
		certs, err := parseCerts(data)
		if err != nil {
			fmt.Fprintf(e.Stderr, "Error loading file %s\n", name)
			return false
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		return true
	}
	for _, f := range caFiles {
		if !load(f, roots) {
			return 2
		}
	}
	inter := x509.NewCertPool()
	var interCerts []*x509.Certificate
	for _, f := range untrusted {
		if !load(f, inter) {
			return 2
		}
		data, _ := e.ReadFile(f)
		cs, _ := parseCerts(data)
		interCerts = append(interCerts, cs...)
	}
	if len(files) == 0 {
		files = []string{""}
	}
	status := 0
	for _, f := range files {
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
			status = 2
			continue
		}
		leaf := certs[0]
		chains, err := leaf.Verify(x509.VerifyOptions{
			Roots: roots, Intermediates: inter, CurrentTime: t.now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err == nil {
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
			continue
		}
		status = 2
		failing, depth, code, reason := explain(leaf, interCerts, roots, t.now(), err)
		fmt.Fprintln(e.Stderr, oneline(failing.RawSubject))
		fmt.Fprintf(e.Stderr, "error %d at %d depth lookup: %s\n", code, depth, reason)
		fmt.Fprintf(e.Stderr, "error %s: verification failed\n", label)
	}
	return status
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
