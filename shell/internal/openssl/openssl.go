// Package openssl is the shell's openssl, the OpenSSL 3.0 subset the identity-certificate flow
// needs: req (new key and CSR, -subj, -key, -x509, -text, -noout), genrsa, rsa, x509 (-text,
// -subject, -dates …), verify (-CAfile, -untrusted) and rand, built on crypto/x509 and printing
// text in openssl's layout. Keys come from a key source, so the browser build can generate RSA
// keys with WebCrypto instead of Go's slow-in-wasm keygen.
package openssl

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// Tool runs openssl command lines.
type Tool struct {
	// KeySource generates RSA keys; nil means crypto/rsa.GenerateKey.
	KeySource func(ctx context.Context, bits int) (*rsa.PrivateKey, error)
	Now       func() time.Time // the virtual clock: certificate validity, verify
	Rand      io.Reader        // nil: crypto/rand.Reader
	// Roots is the system trust store that verify uses without -CAfile (nil: empty).
	Roots *x509.CertPool
}

// VersionText is what `openssl version` prints.
const VersionText = "OpenSSL 3.0.13 30 Jan 2024 (Library: OpenSSL 3.0.13 30 Jan 2024)"

// Run is the openssl command.
func (t *Tool) Run(e *builtin.Env) int {
	if len(e.Args) < 2 {
		fmt.Fprintln(e.Stderr, "openssl: interactive mode is not available here; give a command such as req, x509 or verify")
		return 1
	}
	sub := e.Args[1]
	args := e.Args[2:]
	switch sub {
	case "req":
		return t.req(e, args)
	case "genrsa":
		return t.genrsa(e, args)
	case "rsa", "pkey":
		return t.rsa(e, sub, args)
	case "x509":
		return t.x509(e, args)
	case "verify":
		return t.verify(e, args)
	case "rand":
		return t.rand(e, args)
	case "version":
		fmt.Fprintln(e.Stdout, VersionText)
		return 0
	case "help", "-help", "--help":
		fmt.Fprintln(e.Stdout, "Standard commands (in this emulator)\ngenrsa            pkey              rand              req\nrsa               verify            version           x509")
		return 0
	}
	fmt.Fprintf(e.Stderr, "Invalid command '%s'; type \"help\" for a list.\n", sub)
	return 1
}

func (t *Tool) random() io.Reader {
	if t.Rand != nil {
		return t.Rand
	}
	return rand.Reader
}

func (t *Tool) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tool) newKey(e *builtin.Env, bits int) (*rsa.PrivateKey, error) {
	if t.KeySource != nil {
		return t.KeySource(e.Ctx, bits)
	}
	return rsa.GenerateKey(t.random(), bits)
}

// progress prints the dots and pluses OpenSSL 3 shows while it searches for primes; the pattern
// is derived from the key so that it is stable for a given key.
func progress(e *builtin.Env, k *rsa.PrivateKey) {
	for _, p := range k.Primes[:min(2, len(k.Primes))] {
		var b strings.Builder
		for i, c := range p.Bytes()[:min(24, len(p.Bytes()))] {
			b.WriteString(strings.Repeat(".", int(c%5)+1))
			if i%3 == 2 {
				b.WriteString("+")
			}
		}
		b.WriteString(strings.Repeat("+", 40) + "*")
		fmt.Fprintln(e.Stderr, b.String())
	}
}

// args is a tiny OpenSSL-style option reader: single-dash names, values in the next word.
type args struct {
	prog string
	list []string
	i    int
	err  error
}

func (a *args) next() (string, bool) {
	if a.i >= len(a.list) {
		return "", false
	}
	s := a.list[a.i]
	a.i++
	return s, true
}

func (a *args) value(flag string) string {
	if a.i >= len(a.list) {
		a.err = fmt.Errorf("%s: Option -%s needs a value", a.prog, strings.TrimLeft(flag, "-"))
		return ""
	}
	s := a.list[a.i]
	a.i++
	return s
}

func unknown(e *builtin.Env, prog, flag string) int {
	fmt.Fprintf(e.Stderr, "%s: Unknown option: %s\n%s: Use -help for summary.\n", prog, flag, prog)
	return 1
}

func readPEMFile(e *builtin.Env, name string) ([]byte, error) {
	if name == "" {
		return e.ReadStdin()
	}
	return e.ReadFile(name)
}

// loadKey reads an RSA private key in PKCS#8 or PKCS#1 PEM.
func loadKey(e *builtin.Env, name string) (*rsa.PrivateKey, error) {
	data, err := readPEMFile(e, name)
	if err != nil {
		return nil, err
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no key found")
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, errors.New("not an RSA key")
			}
			return rk, nil
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted keys are not supported here")
		}
	}
}

func keyPEM(k *rsa.PrivateKey) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func (t *Tool) genrsa(e *builtin.Env, list []string) int {
	a := &args{prog: "genrsa", list: list}
	out, bits := "", 2048
	for {
		s, ok := a.next()
		if !ok {
			break
		}
		switch s {
		case "-out":
			out = a.value(s)
		case "-f4", "-F4", "-3", "-traditional", "-quiet":
		case "-aes128", "-aes256", "-des3", "-aes192":
			fmt.Fprintln(e.Stderr, "genrsa: writing encrypted keys is not supported in this emulator; omit the cipher option")
			return 1
		default:
			if strings.HasPrefix(s, "-") {
				return unknown(e, "genrsa", s)
			}
			// 16384 is OpenSSL's largest modulus, and req's bound here: a key source cannot
			// abandon a key it is generating, so a huge size would burn CPU long after the
			// run's time limit.
			if _, err := fmt.Sscan(s, &bits); err != nil || bits < 512 || bits > 16384 {
				fmt.Fprintf(e.Stderr, "genrsa: Invalid number \"%s\" for option numbits\n", s)
				return 1
			}
		}
		if a.err != nil {
			fmt.Fprintln(e.Stderr, a.err)
			return 1
		}
	}
	k, err := t.newKey(e, bits)
	if err != nil {
		fmt.Fprintf(e.Stderr, "genrsa: key generation failed: %v\n", err)
		return 1
	}
	progress(e, k)
	if out == "" {
		e.Stdout.Write(keyPEM(k))
		return 0
	}
	if err := e.WriteFile(out, keyPEM(k), 0o600); err != nil {
		fmt.Fprintf(e.Stderr, "genrsa: Can't open \"%s\" for writing, %s\n", out, builtin.Reason(err))
		return 1
	}
	return 0
}

func (t *Tool) rsa(e *builtin.Env, prog string, list []string) int {
	a := &args{prog: prog, list: list}
	in, out, pubout, noout, text, check := "", "", false, false, false, false
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
		case "-pubout":
			pubout = true
		case "-noout":
			noout = true
		case "-text":
			text = true
		case "-check":
			check = true
		default:
			return unknown(e, prog, s)
		}
		if a.err != nil {
			fmt.Fprintln(e.Stderr, a.err)
			return 1
		}
	}
	k, err := loadKey(e, in)
	if err != nil {
		fmt.Fprintf(e.Stderr, "Could not read private key from %s\n", orStdin(in))
		return 1
	}
	var b strings.Builder
	if text {
		fmt.Fprintf(&b, "Private-Key: (%d bit, 2 primes)\n", k.N.BitLen())
		b.WriteString("modulus:\n" + hexBlock(append([]byte{0}, k.N.Bytes()...), 15, "    ", false))
		fmt.Fprintf(&b, "publicExponent: %d (0x%x)\n", k.E, k.E)
	}
	if check {
		if k.Validate() == nil {
			b.WriteString("RSA key ok\n")
		}
	}
	if !noout {
		if prog == "rsa" {
			fmt.Fprintln(e.Stderr, "writing RSA key")
		}
		if pubout {
			der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
			b.Write(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		} else {
			b.Write(keyPEM(k))
		}
	}
	if out != "" {
		if err := e.WriteFile(out, []byte(b.String()), 0o600); err != nil {
			fmt.Fprintf(e.Stderr, "%s: Can't open \"%s\" for writing, %s\n", prog, out, builtin.Reason(err))
			return 1
		}
		return 0
	}
	e.Stdout.Write([]byte(b.String()))
	return 0
}

func orStdin(name string) string {
	if name == "" {
		return "<stdin>"
	}
	return name
}

func (t *Tool) rand(e *builtin.Env, list []string) int {
	mode, out, n := "", "", -1
	a := &args{prog: "rand", list: list}
	for {
		s, ok := a.next()
		if !ok {
			break
		}
		switch s {
		case "-hex", "-base64":
			mode = s
		case "-out":
			out = a.value(s)
		default:
			if _, err := fmt.Sscan(s, &n); err != nil || strings.HasPrefix(s, "-") {
				return unknown(e, "rand", s)
			}
		}
	}
	if n < 0 {
		fmt.Fprintln(e.Stderr, "rand: Missing number of bytes\nrand: Use -help for summary.")
		return 1
	}
	buf := make([]byte, min(n, 1<<20))
	io.ReadFull(t.random(), buf)
	var res []byte
	switch mode {
	case "-hex":
		res = []byte(fmt.Sprintf("%x\n", buf))
	case "-base64":
		res = []byte(wrap64(buf))
	default:
		res = buf
	}
	if out != "" {
		e.WriteFile(out, res, 0o644)
		return 0
	}
	e.Stdout.Write(res)
	return 0
}
