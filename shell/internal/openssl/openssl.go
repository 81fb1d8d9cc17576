// Package openssl is the shell's openssl, the OpenSSL 3.0 subset the identity-certificate flow
// needs: req (new key and CSR, -subj, -key, -x509, -text, -noout), genrsa, rsa, x509 (-text,
// -subject, -dates, -ext …), verify (-CAfile, -untrusted) and rand, built on crypto/x509 and printing
// text in openssl's layout. Keys come from a key source, so the browser build can generate RSA
// keys with WebCrypto instead of Go's slow-in-wasm keygen.
package openssl

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"strconv"
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
	case "base64":
		return base64Cmd(e, args)
	case "version":
		fmt.Fprintln(e.Stdout, VersionText)
		return 0
	case "help", "-help", "--help":
		fmt.Fprintln(e.Stdout, "Standard commands (in this emulator)\nbase64            genrsa            pkey              rand\nreq               rsa               verify            version\nx509")
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

// unknownWords is how each command words an option it does not know: req takes any digest
// name as an option, rsa, pkey and genrsa any cipher name.
var unknownWords = map[string]string{
	"req": "Unknown option or message digest: %s", "x509": "Unknown option or message digest: %s",
	"rsa": "Unknown cipher: %s", "pkey": "Unknown cipher: %s", "genrsa": "Unknown cipher: %s",
}

// parse reads a command's options in OpenSSL's syntax (builtin.OpenSSL) and returns the
// operands; a refused command line is reported as OpenSSL's option parser does, and ok is false.
func parse(e *builtin.Env, prog string, table []builtin.Option, list []string) ([]string, bool) {
	rest, err := builtin.Parse(builtin.OpenSSL, table, list)
	u, isUsage := err.(*builtin.UsageError)
	if err == nil || !isUsage {
		return rest, err == nil
	}
	name, _, _ := strings.Cut(strings.TrimLeft(u.Word, "-"), "=")
	var msg string
	switch u.Problem {
	case builtin.NeedsValue:
		msg = fmt.Sprintf("Option -%s needs a value", name)
	case builtin.NoValue:
		msg = fmt.Sprintf("Option -%s does not take a value", name)
	case builtin.Invalid:
		msg = u.Err.Error()
	case builtin.Unsupported:
		msg = fmt.Sprintf("Option -%s is not supported in this emulator", name)
	default:
		msg = "Unknown option: -" + name
		if w, ok := unknownWords[prog]; ok {
			msg = fmt.Sprintf(w, name)
		}
	}
	fmt.Fprintf(e.Stderr, "%s: %s\n", prog, msg)
	if !(prog == "genrsa" && u.Problem == builtin.Unknown) {
		// genrsa alone gives up on a cipher it cannot fetch without pointing to -help.
		fmt.Fprintf(e.Stderr, "%s: Use -help for summary.\n", prog)
	}
	return nil, false
}

// number is the setter of a numeric option.
func number(n *int) func(string) error {
	return func(v string) error {
		x, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("Can't parse \"%s\" as a number", v)
		}
		*n = x
		return nil
	}
}

// writeOutput writes a command's output to -out or standard output and returns status.
func writeOutput(e *builtin.Env, prog, out, data string, perm fs.FileMode, status int) int {
	if out == "" {
		e.Stdout.Write([]byte(data))
		return status
	}
	if err := e.WriteFile(out, []byte(data), perm); err != nil {
		fmt.Fprintf(e.Stderr, "%s: Can't open \"%s\" for writing, %s\n", prog, out, builtin.Reason(err))
		return 1
	}
	return status
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

// genrsa makes an RSA key. OpenSSL 3.0 prints its progress only with -verbose (req always
// does), between a line naming the size and one naming the public exponent.
func (t *Tool) genrsa(e *builtin.Env, list []string) int {
	out, bits := "", 2048
	var verbose, traditional bool
	rest, ok := parse(e, "genrsa", append([]builtin.Option{
		{Long: "out", Value: builtin.Str(&out)},
		{Long: "f4", Flag: builtin.Ignore}, {Long: "F4", Flag: builtin.Ignore},
		{Long: "verbose", Flag: builtin.Set(&verbose)}, {Long: "traditional", Flag: builtin.Set(&traditional)},
	}, builtin.Refused("3 aes128 aes192 aes256 des3 passout primes")...), list)
	if !ok {
		return 1
	}
	switch {
	case len(rest) > 1:
		fmt.Fprintln(e.Stderr, "genrsa: Use -help for summary.")
		return 1
	case len(rest) == 1:
		// 16384 is OpenSSL's largest modulus, and req's bound here: a key source cannot
		// abandon a key it is generating, so a huge size would burn CPU long after the
		// run's time limit.
		if _, err := fmt.Sscan(rest[0], &bits); err != nil || bits < 512 || bits > 16384 {
			fmt.Fprintf(e.Stderr, "genrsa: Invalid number \"%s\" for option numbits\n", rest[0])
			return 1
		}
	}
	if verbose {
		fmt.Fprintf(e.Stderr, "Generating RSA key with %d bits\n", bits)
	}
	k, err := t.newKey(e, bits)
	if err != nil {
		fmt.Fprintf(e.Stderr, "genrsa: key generation failed: %v\n", err)
		return 1
	}
	if verbose {
		progress(e, k)
		// BN_bn2hex: whole bytes, upper case.
		fmt.Fprintf(e.Stderr, "e is %d (0x%X)\n", k.E, big.NewInt(int64(k.E)).Bytes())
	}
	key := keyPEM(k)
	if traditional {
		key = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	}
	return writeOutput(e, "genrsa", out, string(key), 0o600, 0)
}

func (t *Tool) rsa(e *builtin.Env, prog string, list []string) int {
	var in, out string
	var pubout, noout, text, check bool
	if _, ok := parse(e, prog, append([]builtin.Option{
		{Long: "in", Value: builtin.Str(&in)}, {Long: "out", Value: builtin.Str(&out)},
		{Long: "pubout", Flag: builtin.Set(&pubout)}, {Long: "noout", Flag: builtin.Set(&noout)},
		{Long: "text", Flag: builtin.Set(&text)}, {Long: "check", Flag: builtin.Set(&check)},
	}, builtin.Refused("inform outform passin pubin")...), list); !ok {
		return 1
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
	if check && k.Validate() == nil {
		b.WriteString("RSA key ok\n")
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
	return writeOutput(e, prog, out, b.String(), 0o600, 0)
}

func orStdin(name string) string {
	if name == "" {
		return "<stdin>"
	}
	return name
}

func (t *Tool) rand(e *builtin.Env, list []string) int {
	mode, out := "", ""
	rest, ok := parse(e, "rand", []builtin.Option{
		{Long: "hex", Flag: func() { mode = "hex" }}, {Long: "base64", Flag: func() { mode = "base64" }},
		{Long: "out", Value: builtin.Str(&out)},
	}, list)
	if !ok {
		return 1
	}
	n := 0
	switch {
	case len(rest) == 0:
		return 0 // OpenSSL 3.0 prints nothing and succeeds
	case len(rest) > 1:
		fmt.Fprintln(e.Stderr, "rand: Use -help for summary.")
		return 1
	}
	if err := number(&n)(rest[0]); err != nil {
		fmt.Fprintf(e.Stderr, "rand: %v\nrand: Use -help for summary.\n", err)
		return 1
	}
	if n <= 0 {
		fmt.Fprintln(e.Stderr, "rand: Use -help for summary.")
		return 1
	}
	buf := make([]byte, min(n, 1<<20))
	io.ReadFull(t.random(), buf)
	res := string(buf)
	switch mode {
	case "hex":
		res = fmt.Sprintf("%x\n", buf)
	case "base64":
		res = wrap64(buf)
	}
	return writeOutput(e, "rand", out, res, 0o644, 0)
}

// base64Cmd is `openssl base64`: 64-column lines (one line with -A); decoding ignores
// whitespace and, like OpenSSL's decoder, prints nothing for input that is not base64.
func base64Cmd(e *builtin.Env, list []string) int {
	var in, out string
	var decode, oneLine bool
	if _, ok := parse(e, "base64", []builtin.Option{
		{Long: "in", Value: builtin.Str(&in)}, {Long: "out", Value: builtin.Str(&out)},
		{Long: "d", Flag: builtin.Set(&decode)}, {Long: "e", Flag: func() { decode = false }},
		{Long: "A", Flag: builtin.Set(&oneLine)},
	}, list); !ok {
		return 1
	}
	data, err := readPEMFile(e, in)
	if err != nil {
		fmt.Fprintf(e.Stderr, "base64: Can't open \"%s\" for reading, %s\n", in, builtin.Reason(err))
		return 1
	}
	if !decode {
		s := ""
		if len(data) > 0 {
			s = wrap64(data)
			if oneLine {
				s = strings.ReplaceAll(s, "\n", "") // and no final newline either
			}
		}
		return writeOutput(e, "base64", out, s, 0o644, 0)
	}
	clean := strings.Join(strings.Fields(string(data)), "")
	dec, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		dec = nil
	}
	return writeOutput(e, "base64", out, string(dec), 0o644, 0)
}
