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
	"-sha256": x509.SHA256WithRSA, "-sha384": x509.SHA384WithRSA, "-sha512": x509.SHA512WithRSA,
	"-sha1": x509.SHA1WithRSA,
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

func (t *Tool) req(e *builtin.Env, list []string) int {
	a := &args{prog: "req", list: list}
	var (
		newReq, x509Out, noout, text, nodes, verify, batch, pubkey, subject bool
		newkey, keyFile, keyout, out, in, subj                              string
		addext                                                              []string
		days                                                                = 30
		sigAlg                                                              = x509.SHA256WithRSA
	)
	for {
		s, ok := a.next()
		if !ok {
			break
		}
		switch s {
		case "-new":
			newReq = true
		case "-newkey":
			newkey, newReq = a.value(s), true
		case "-key":
			keyFile = a.value(s)
		case "-keyout":
			keyout = a.value(s)
		case "-out":
			out = a.value(s)
		case "-in":
			in = a.value(s)
		case "-subj":
			subj = a.value(s)
		case "-addext":
			addext = append(addext, a.value(s))
		case "-days":
			v := a.value(s)
			n, err := strconv.Atoi(v)
			if err != nil {
				fmt.Fprintf(e.Stderr, "req: Invalid number \"%s\" for option -days\n", v)
				return 1
			}
			days = n
		case "-x509":
			x509Out = true
		case "-noout":
			noout = true
		case "-text":
			text = true
		case "-nodes", "-noenc":
			nodes = true
		case "-verify":
			verify = true
		case "-batch":
			batch = true
		case "-pubkey":
			pubkey = true
		case "-subject":
			subject = true
		case "-config", "-section", "-passout", "-passin", "-outform", "-inform", "-keyform", "-set_serial", "-reqexts", "-extensions", "-pkeyopt":
			a.value(s)
		case "-utf8", "-nameopt", "-multivalue-rdn", "-quiet":
		default:
			if alg, ok := digests[s]; ok {
				sigAlg = alg
				continue
			}
			return unknown(e, "req", s)
		}
		if a.err != nil {
			fmt.Fprintln(e.Stderr, a.err)
			return 1
		}
	}
	if keyFile != "" && newkey == "" && !newReq && !x509Out {
		newReq = true
	}
	if x509Out && in == "" {
		newReq = true
	}

	var csr *x509.CertificateRequest
	var cert *x509.Certificate
	var key *rsa.PrivateKey
	var keyOutPEM []byte
	if newReq {
		switch {
		case keyFile != "":
			k, err := loadKey(e, keyFile)
			if err != nil {
				fmt.Fprintf(e.Stderr, "Could not read private key from %s\nreq: Error getting private key\n", keyFile)
				return 1
			}
			key = k
		default:
			bits := 2048
			if newkey != "" {
				alg, param, _ := strings.Cut(newkey, ":")
				if alg != "rsa" {
					fmt.Fprintf(e.Stderr, "req: only RSA keys (-newkey rsa:BITS) are supported in this emulator, not %q\n", newkey)
					return 1
				}
				if param != "" {
					n, err := strconv.Atoi(param)
					if err != nil || n < 512 || n > 16384 {
						fmt.Fprintf(e.Stderr, "req: Invalid RSA key size %q\n", param)
						return 1
					}
					bits = n
				}
			}
			if !nodes {
				fmt.Fprintln(e.Stderr, "req: encrypting the new private key with a pass phrase is not supported in this emulator; add -nodes (or -noenc)")
				return 1
			}
			k, err := t.newKey(e, bits)
			if err != nil {
				fmt.Fprintf(e.Stderr, "req: key generation failed: %v\n", err)
				return 1
			}
			key = k
			progress(e, k)
			fmt.Fprintln(e.Stderr, "-----")
			if keyout == "" {
				keyout = "privkey.pem" // default_keyfile in Ubuntu's openssl.cnf
			}
			keyOutPEM = keyPEM(k)
		}
		var rawSubj []byte
		if subj != "" {
			der, warnings, err := parseSubj(subj)
			for _, w := range warnings {
				fmt.Fprintf(e.Stderr, "req: %s\n", w)
			}
			if err != nil {
				fmt.Fprintf(e.Stderr, "req: %v\nreq: Error making certificate request\n", err)
				return 1
			}
			rawSubj = der
		} else {
			der, ok := t.promptSubject(e, batch)
			if !ok {
				return 1
			}
			rawSubj = der
		}
		if keyOutPEM != nil {
			if err := e.WriteFile(keyout, keyOutPEM, 0o600); err != nil {
				fmt.Fprintf(e.Stderr, "req: Can't open \"%s\" for writing, %s\n", keyout, builtin.Reason(err))
				return 1
			}
		}
		tmpl := &x509.CertificateRequest{RawSubject: rawSubj, SignatureAlgorithm: sigAlg}
		exts, err := parseAddext(addext)
		if err != nil {
			fmt.Fprintf(e.Stderr, "req: Error adding extensions: %v\n", err)
			return 1
		}
		tmpl.ExtraExtensions = exts
		if x509Out {
			c, err := t.selfSign(key, rawSubj, sigAlg, days, exts)
			if err != nil {
				fmt.Fprintf(e.Stderr, "req: %v\n", err)
				return 1
			}
			cert = c
		} else {
			der, err := x509.CreateCertificateRequest(t.random(), tmpl, key)
			if err != nil {
				fmt.Fprintf(e.Stderr, "req: Error making certificate request: %v\n", err)
				return 1
			}
			csr, _ = x509.ParseCertificateRequest(der)
		}
	} else {
		data, err := readPEMFile(e, in)
		if err != nil {
			fmt.Fprintf(e.Stderr, "req: Can't open \"%s\" for reading, %s\n", in, builtin.Reason(err))
			return 1
		}
		b, _ := pem.Decode(data)
		if b == nil || b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
			fmt.Fprintf(e.Stderr, "Could not read certificate request from %s\nUnable to load X509 request\n", orStdin(in))
			return 1
		}
		r, err := x509.ParseCertificateRequest(b.Bytes)
		if err != nil {
			fmt.Fprintf(e.Stderr, "Could not read certificate request from %s\nUnable to load X509 request\n", orStdin(in))
			return 1
		}
		csr = r
	}

	var buf strings.Builder
	if verify && csr != nil {
		if csr.CheckSignature() == nil {
			fmt.Fprintln(e.Stderr, "Certificate request self-signature verify OK")
		} else {
			fmt.Fprintln(e.Stderr, "Certificate request self-signature verify failure")
			return 1
		}
	}
	if subject {
		raw := []byte(nil)
		if csr != nil {
			raw = csr.RawSubject
		} else if cert != nil {
			raw = cert.RawSubject
		}
		fmt.Fprintf(&buf, "subject=%s\n", oneline(raw))
	}
	if pubkey {
		var pub any
		if csr != nil {
			pub = csr.PublicKey
		} else if cert != nil {
			pub = cert.PublicKey
		}
		der, _ := x509.MarshalPKIXPublicKey(pub)
		buf.Write(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	if text {
		if csr != nil {
			buf.WriteString(csrText(csr))
		} else if cert != nil {
			buf.WriteString(certText(cert))
		}
	}
	if !noout {
		if csr != nil {
			buf.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw}))
		} else if cert != nil {
			buf.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
		}
	}
	if out != "" {
		if err := e.WriteFile(out, []byte(buf.String()), 0o644); err != nil {
			fmt.Fprintf(e.Stderr, "req: Can't open \"%s\" for writing, %s\n", out, builtin.Reason(err))
			return 1
		}
		return 0
	}
	e.Stdout.Write([]byte(buf.String()))
	return 0
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
		var der []byte
		var oid asn1.ObjectIdentifier
		var err error
		switch name {
		case "subjectAltName":
			oid = oidSAN
			var raw []asn1.RawValue
			for _, item := range strings.Split(value, ",") {
				typ, v, _ := strings.Cut(strings.TrimSpace(item), ":")
				switch typ {
				case "DNS":
					raw = append(raw, asn1.RawValue{Tag: 2, Class: asn1.ClassContextSpecific, Bytes: []byte(v)})
				case "email":
					raw = append(raw, asn1.RawValue{Tag: 1, Class: asn1.ClassContextSpecific, Bytes: []byte(v)})
				case "URI":
					raw = append(raw, asn1.RawValue{Tag: 6, Class: asn1.ClassContextSpecific, Bytes: []byte(v)})
				case "IP":
					ip := net.ParseIP(v)
					if ip == nil {
						return nil, fmt.Errorf("bad IP address %q", v)
					}
					if ip4 := ip.To4(); ip4 != nil {
						ip = ip4
					}
					raw = append(raw, asn1.RawValue{Tag: 7, Class: asn1.ClassContextSpecific, Bytes: ip})
				default:
					return nil, fmt.Errorf("unsupported subjectAltName type %q", typ)
				}
			}
			der, err = asn1.Marshal(raw)
		case "basicConstraints":
			oid = oidBC
			var bc struct {
				IsCA bool `asn1:"optional"`
			}
			bc.IsCA = strings.Contains(value, "CA:TRUE")
			der, err = asn1.Marshal(bc)
		case "keyUsage":
			oid = oidKU
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
			der, err = asn1.Marshal(bs)
		case "extendedKeyUsage":
			oid = oidEKU
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
			der, err = asn1.Marshal(oids)
		default:
			return nil, fmt.Errorf("unsupported extension %q", name)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, pkix.Extension{Id: oid, Critical: critical, Value: der})
	}
	return out, nil
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
