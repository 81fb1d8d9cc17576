package openssl

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

func wrap64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 64 {
		out.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return out.String() + s + "\n"
}

var digests = map[string]x509.SignatureAlgorithm{
	"sha256": x509.SHA256WithRSA, "sha384": x509.SHA384WithRSA, "sha512": x509.SHA512WithRSA,
	"sha1": x509.SHA1WithRSA,
}

// dnPrompts are the questions openssl asks without -subj, with the defaults of Ubuntu's
// openssl.cnf.
var dnPrompts = []struct{ attr, prompt, def string }{
	{"C", "Country Name (2 letter code) [AU]:", "AU"},
	{"ST", "State or Province Name (full name) [Some-State]:", "Some-State"},
	{"L", "Locality Name (eg, city) []:", ""},
	{"O", "Organization Name (eg, company) [Internet Widgits Pty Ltd]:", "Internet Widgits Pty Ltd"},
	{"OU", "Organizational Unit Name (eg, section) []:", ""},
	{"CN", "Common Name (e.g. server FQDN or YOUR name) []:", ""},
	{"emailAddress", "Email Address []:", ""},
}

// reqOptions is one `openssl req` command line.
type reqOptions struct {
	newReq, x509Out, noout, text, nodes, verify, batch, pubkey, subject bool
	newkey, keyFile, keyout, out, in, subj                              string
	addext                                                              []string
	days                                                                int
	sigAlg                                                              x509.SignatureAlgorithm
}

func (r *reqOptions) table() []builtin.Option {
	t := append([]builtin.Option{
		{Long: "new", Flag: builtin.Set(&r.newReq)},
		{Long: "newkey", Value: func(v string) error { r.newkey, r.newReq = v, true; return nil }},
		{Long: "key", Value: builtin.Str(&r.keyFile)}, {Long: "keyout", Value: builtin.Str(&r.keyout)},
		{Long: "out", Value: builtin.Str(&r.out)}, {Long: "in", Value: builtin.Str(&r.in)},
		{Long: "subj", Value: builtin.Str(&r.subj)}, {Long: "addext", Value: builtin.Add(&r.addext)},
		{Long: "days", Value: number(&r.days)},
		{Long: "x509", Flag: builtin.Set(&r.x509Out)}, {Long: "noout", Flag: builtin.Set(&r.noout)},
		{Long: "text", Flag: builtin.Set(&r.text)}, {Long: "nodes", Flag: builtin.Set(&r.nodes)},
		{Long: "noenc", Flag: builtin.Set(&r.nodes)}, {Long: "verify", Flag: builtin.Set(&r.verify)},
		{Long: "batch", Flag: builtin.Set(&r.batch)}, {Long: "pubkey", Flag: builtin.Set(&r.pubkey)},
		{Long: "subject", Flag: builtin.Set(&r.subject)},
		{Long: "utf8", Flag: builtin.Ignore}, {Long: "quiet", Flag: builtin.Ignore},
	}, builtin.Refused("config section passout passin outform inform keyform set_serial reqexts extensions pkeyopt nameopt multivalue-rdn")...)
	for name, alg := range digests {
		t = append(t, builtin.Option{Long: name, Flag: func() { r.sigAlg = alg }})
	}
	return t
}

func (t *Tool) req(e *builtin.Env, list []string) int {
	r := reqOptions{days: 30, sigAlg: x509.SHA256WithRSA}
	if _, ok := parse(e, "req", r.table(), list); !ok {
		return 1
	}
	if r.keyFile != "" && r.newkey == "" && !r.newReq && !r.x509Out {
		r.newReq = true
	}
	if r.x509Out && r.in == "" {
		r.newReq = true
	}
	var csr *x509.CertificateRequest
	var cert *x509.Certificate
	var ok bool
	if r.newReq {
		csr, cert, ok = t.newRequest(e, &r)
	} else {
		csr, ok = loadRequest(e, r.in)
	}
	if !ok {
		return 1
	}
	if r.verify && csr != nil {
		if csr.CheckSignature() != nil {
			fmt.Fprintln(e.Stderr, "Certificate request self-signature verify failure")
			return 1
		}
		fmt.Fprintln(e.Stderr, "Certificate request self-signature verify OK")
	}
	var buf strings.Builder
	if csr != nil {
		r.print(&buf, csr.RawSubject, csr.PublicKey, func() string { return csrText(csr) }, "CERTIFICATE REQUEST", csr.Raw)
	} else {
		r.print(&buf, cert.RawSubject, cert.PublicKey, func() string { return certText(cert) }, "CERTIFICATE", cert.Raw)
	}
	return writeOutput(e, "req", r.out, buf.String(), 0o644, 0)
}

// print writes what -subject, -pubkey, -text and (without -noout) the PEM ask for.
func (r *reqOptions) print(b *strings.Builder, rawSubj []byte, pub any, text func() string, pemType string, der []byte) {
	if r.subject {
		fmt.Fprintf(b, "subject=%s\n", oneline(rawSubj))
	}
	if r.pubkey {
		pubDER, _ := x509.MarshalPKIXPublicKey(pub)
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	}
	if r.text {
		b.WriteString(text())
	}
	if !r.noout {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}))
	}
}

// loadRequest reads the CSR of -in (standard input without it).
func loadRequest(e *builtin.Env, in string) (*x509.CertificateRequest, bool) {
	data, err := readPEMFile(e, in)
	if err != nil {
		fmt.Fprintf(e.Stderr, "req: Can't open \"%s\" for reading, %s\n", in, builtin.Reason(err))
		return nil, false
	}
	if b, _ := pem.Decode(data); b != nil && (b.Type == "CERTIFICATE REQUEST" || b.Type == "NEW CERTIFICATE REQUEST") {
		if r, err := x509.ParseCertificateRequest(b.Bytes); err == nil {
			return r, true
		}
	}
	fmt.Fprintln(e.Stderr, "Unable to load X509 request")
	return nil, false
}

// newRequest makes a new CSR (or, with -x509, a self-signed certificate) with the key of -key
// or a new one, and the subject of -subj or the prompts.
func (t *Tool) newRequest(e *builtin.Env, r *reqOptions) (*x509.CertificateRequest, *x509.Certificate, bool) {
	key, keyOutPEM, ok := t.requestKey(e, r)
	if !ok {
		return nil, nil, false
	}
	rawSubj, ok := t.requestSubject(e, r)
	if !ok {
		return nil, nil, false
	}
	if keyOutPEM != nil {
		if err := e.WriteFile(r.keyout, keyOutPEM, 0o600); err != nil {
			fmt.Fprintf(e.Stderr, "req: Can't open \"%s\" for writing, %s\n", r.keyout, builtin.Reason(err))
			return nil, nil, false
		}
	}
	exts, err := parseAddext(r.addext)
	if err != nil {
		fmt.Fprintf(e.Stderr, "req: Error adding extensions: %v\n", err)
		return nil, nil, false
	}
	if r.x509Out {
		c, err := t.selfSign(key, rawSubj, r.sigAlg, r.days, exts)
		if err != nil {
			fmt.Fprintf(e.Stderr, "req: %v\n", err)
			return nil, nil, false
		}
		return nil, c, true
	}
	tmpl := &x509.CertificateRequest{RawSubject: rawSubj, SignatureAlgorithm: r.sigAlg, ExtraExtensions: exts}
	der, err := x509.CreateCertificateRequest(t.random(), tmpl, key)
	if err != nil {
		fmt.Fprintf(e.Stderr, "req: Error making certificate request: %v\n", err)
		return nil, nil, false
	}
	csr, _ := x509.ParseCertificateRequest(der)
	return csr, nil, true
}

// requestKey is the key of -key, or a new one (with -newkey rsa:BITS) and its PEM for -keyout.
func (t *Tool) requestKey(e *builtin.Env, r *reqOptions) (*rsa.PrivateKey, []byte, bool) {
	if r.keyFile != "" {
		k, err := loadKey(e, r.keyFile)
		if err != nil {
			fmt.Fprintf(e.Stderr, "Could not read private key from %s\nreq: Error getting private key\n", r.keyFile)
			return nil, nil, false
		}
		return k, nil, true
	}
	bits := 2048
	if r.newkey != "" {
		alg, param, _ := strings.Cut(r.newkey, ":")
		if alg != "rsa" {
			fmt.Fprintf(e.Stderr, "req: only RSA keys (-newkey rsa:BITS) are supported in this emulator, not %q\n", r.newkey)
			return nil, nil, false
		}
		if param != "" {
			n, err := strconv.Atoi(param)
			if err != nil || n < 512 || n > 16384 {
				fmt.Fprintf(e.Stderr, "req: Invalid RSA key size %q\n", param)
				return nil, nil, false
			}
			bits = n
		}
	}
	if !r.nodes {
		fmt.Fprintln(e.Stderr, "req: encrypting the new private key with a pass phrase is not supported in this emulator; add -nodes (or -noenc)")
		return nil, nil, false
	}
	k, err := t.newKey(e, bits)
	if err != nil {
		fmt.Fprintf(e.Stderr, "req: key generation failed: %v\n", err)
		return nil, nil, false
	}
	progress(e, k)
	fmt.Fprintln(e.Stderr, "-----")
	if r.keyout == "" {
		r.keyout = "privkey.pem" // default_keyfile in Ubuntu's openssl.cnf
	}
	return k, keyPEM(k), true
}

// requestSubject is the DER of -subj, or of the answers to openssl's prompts.
func (t *Tool) requestSubject(e *builtin.Env, r *reqOptions) ([]byte, bool) {
	if r.subj == "" {
		return t.promptSubject(e, r.batch)
	}
	der, warnings, err := parseSubj(r.subj)
	for _, w := range warnings {
		fmt.Fprintf(e.Stderr, "req: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "req: %v\nreq: Error making certificate request\n", err)
		return nil, false
	}
	return der, true
}

// promptSubject asks for the DN on standard input as openssl does without -subj.
func (t *Tool) promptSubject(e *builtin.Env, batch bool) ([]byte, bool) {
	fmt.Fprint(e.Stderr, "You are about to be asked to enter information that will be incorporated\n"+
		"into your certificate request.\n"+
		"What you are about to enter is what is called a Distinguished Name or a DN.\n"+
		"There are quite a few fields but you can leave some blank\n"+
		"For some fields there will be a default value,\n"+
		"If you enter '.', the field will be left blank.\n-----\n")
	r := e.Lines()
	var subj strings.Builder
	for _, p := range dnPrompts {
		answer := ""
		if !batch {
			fmt.Fprint(e.Stderr, p.prompt)
			line, _ := r.ReadString('\n')
			answer = strings.TrimRight(line, "\r\n")
		}
		switch answer {
		case ".":
			continue
		case "":
			answer = p.def
		}
		if answer == "" {
			continue
		}
		subj.WriteString("/" + p.attr + "=" + strings.ReplaceAll(answer, "/", `\/`))
	}
	if !batch {
		fmt.Fprint(e.Stderr, "\nPlease enter the following 'extra' attributes\nto be sent with your certificate request\nA challenge password []:An optional company name []:")
		r.ReadString('\n')
		r.ReadString('\n')
		fmt.Fprintln(e.Stderr)
	}
	der, _, err := parseSubj(subj.String() + "/")
	if err != nil {
		fmt.Fprintf(e.Stderr, "req: %v\n", err)
		return nil, false
	}
	return der, true
}

// addextEncoders encode the value of an -addext extension, by name.
var addextEncoders = map[string]struct {
	oid    asn1.ObjectIdentifier
	encode func(value string) ([]byte, error)
}{
	"subjectAltName":   {oidSAN, encodeSAN},
	"basicConstraints": {oidBC, encodeBasicConstraints},
	"keyUsage":         {oidKU, encodeKeyUsage},
	"extendedKeyUsage": {oidEKU, encodeExtKeyUsage},
}

// parseAddext understands -addext for the extensions people add to CSRs.
func parseAddext(list []string) ([]pkix.Extension, error) {
	var out []pkix.Extension
	for _, s := range list {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("missing '=' in %q", s)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		critical := false
		if v, ok := strings.CutPrefix(value, "critical,"); ok {
			critical, value = true, v
		}
		enc, ok := addextEncoders[name]
		if !ok {
			return nil, fmt.Errorf("unsupported extension %q", name)
		}
		der, err := enc.encode(value)
		if err != nil {
			return nil, err
		}
		out = append(out, pkix.Extension{Id: enc.oid, Critical: critical, Value: der})
	}
	return out, nil
}

func encodeSAN(value string) ([]byte, error) {
	var raw []asn1.RawValue
	for _, item := range strings.Split(value, ",") {
		typ, v, _ := strings.Cut(strings.TrimSpace(item), ":")
		tag, ok := map[string]int{"email": 1, "DNS": 2, "URI": 6, "IP": 7}[typ]
		if !ok {
			return nil, fmt.Errorf("unsupported subjectAltName type %q", typ)
		}
		b := []byte(v)
		if typ == "IP" {
			ip := net.ParseIP(v)
			if ip == nil {
				return nil, fmt.Errorf("bad IP address %q", v)
			}
			if b = ip.To4(); b == nil {
				b = ip
			}
		}
		raw = append(raw, asn1.RawValue{Tag: tag, Class: asn1.ClassContextSpecific, Bytes: b})
	}
	return asn1.Marshal(raw)
}

func encodeBasicConstraints(value string) ([]byte, error) {
	var bc struct {
		IsCA bool `asn1:"optional"`
	}
	bc.IsCA = strings.Contains(value, "CA:TRUE")
	return asn1.Marshal(bc)
}

func encodeKeyUsage(value string) ([]byte, error) {
	var bits int
	for _, item := range strings.Split(value, ",") {
		for i, k := range []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"} {
			if strings.TrimSpace(item) == k {
				bits |= 1 << i
			}
		}
	}
	bs := asn1.BitString{Bytes: []byte{reverse8(byte(bits)), reverse8(byte(bits >> 8))}, BitLength: 9}
	if bits < 256 {
		bs = asn1.BitString{Bytes: []byte{reverse8(byte(bits))}, BitLength: 8}
	}
	return asn1.Marshal(bs)
}

func encodeExtKeyUsage(value string) ([]byte, error) {
	known := map[string]asn1.ObjectIdentifier{
		"serverAuth": {1, 3, 6, 1, 5, 5, 7, 3, 1}, "clientAuth": {1, 3, 6, 1, 5, 5, 7, 3, 2},
		"codeSigning": {1, 3, 6, 1, 5, 5, 7, 3, 3}, "emailProtection": {1, 3, 6, 1, 5, 5, 7, 3, 4},
	}
	var oids []asn1.ObjectIdentifier
	for _, item := range strings.Split(value, ",") {
		o, ok := known[strings.TrimSpace(item)]
		if !ok {
			return nil, fmt.Errorf("unknown extended key usage %q", item)
		}
		oids = append(oids, o)
	}
	return asn1.Marshal(oids)
}

func reverse8(b byte) byte {
	var r byte
	for i := 0; i < 8; i++ {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}

// selfSign makes the certificate of `req -x509`, with the v3_ca extensions of openssl.cnf.
func (t *Tool) selfSign(k *rsa.PrivateKey, rawSubj []byte, alg x509.SignatureAlgorithm, days int, exts []pkix.Extension) (*x509.Certificate, error) {
	serial := make([]byte, 20)
	if _, err := t.random().Read(serial); err != nil {
		return nil, err
	}
	serial[0] &= 0x7f
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	asn1.Unmarshal(pubDER, &spki)
	ski := sha1.Sum(spki.PublicKey.Bytes)
	now := t.now()
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(serial),
		RawSubject:            rawSubj,
		RawIssuer:             rawSubj,
		NotBefore:             now,
		NotAfter:              now.AddDate(0, 0, days),
		SignatureAlgorithm:    alg,
		SubjectKeyId:          ski[:],
		AuthorityKeyId:        ski[:],
		BasicConstraintsValid: true,
		IsCA:                  true,
		ExtraExtensions:       exts,
	}
	der, err := x509.CreateCertificate(t.random(), tmpl, tmpl, &k.PublicKey, crypto.Signer(k))
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
