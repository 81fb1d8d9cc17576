package coreutils

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

const b64alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func base64Cmd(e *builtin.Env) int {
	decode, garbage, wrap := false, false, 76
	files, err := builtin.Parse(builtin.GNU, []builtin.Option{
		{Short: 'd', Long: "decode", Flag: builtin.Set(&decode)},
		{Short: 'i', Long: "ignore-garbage", Flag: builtin.Set(&garbage)},
		{Short: 'w', Long: "wrap", Value: func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("invalid wrap size: '%s'", v)
			}
			wrap = n
			return nil
		}},
	}, e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(files) > 1 {
		return e.UsageErrorf(1, "extra operand '%s'", files[1])
	}
	name := "-"
	if len(files) == 1 {
		name = files[0]
	}
	data, err := e.ReadFile(name)
	if err != nil {
		e.FileError(name, err)
		return 1
	}
	if !decode {
		if e.Fits(int64(base64.StdEncoding.EncodedLen(len(data))), "base64's output") != nil {
			return 130 // the run is stopped
		}
		s := base64.StdEncoding.EncodeToString(data)
		if s == "" {
			return 0
		}
		var b strings.Builder
		for wrap > 0 && len(s) > wrap {
			b.WriteString(s[:wrap] + "\n")
			s = s[wrap:]
		}
		b.WriteString(s)
		if wrap > 0 {
			b.WriteString("\n") // -w 0 ends without a newline, as GNU base64 does
		}
		e.Stdout.Write([]byte(b.String()))
		return 0
	}
	out, ok := gnuDecode(data, garbage)
	e.Stdout.Write(out)
	if !ok {
		fmt.Fprintln(e.Stderr, "base64: invalid input")
		return 1
	}
	return 0
}

// gnuDecode decodes like GNU coreutils: newlines are skipped, and at the first group that is
// short or holds a character outside the alphabet it stops, keeping the bytes it could decode
// from that group. So an unpadded JWT segment decodes in full and still fails, and a base64url
// segment decodes up to its first '-' or '_'.
func gnuDecode(in []byte, ignoreGarbage bool) ([]byte, bool) {
	val := func(c byte) int { return strings.IndexByte(b64alphabet, c) }
	var clean []byte
	for _, c := range in {
		if c == '\n' {
			continue
		}
		if ignoreGarbage && val(c) < 0 && c != '=' {
			continue
		}
		clean = append(clean, c)
	}
	var out []byte
	for i := 0; i < len(clean); i += 4 {
		g := clean[i:min(i+4, len(clean))]
		if len(g) < 2 || val(g[0]) < 0 || val(g[1]) < 0 {
			return out, false
		}
		out = append(out, byte(val(g[0])<<2|val(g[1])>>4))
		if len(g) == 2 {
			return out, false
		}
		if g[2] == '=' {
			if len(g) < 4 || g[3] != '=' {
				return out, false
			}
			continue
		}
		if val(g[2]) < 0 {
			return out, false
		}
		out = append(out, byte(val(g[1])<<4|val(g[2])>>2))
		if len(g) == 3 {
			return out, false
		}
		if g[3] == '=' {
			continue
		}
		if val(g[3]) < 0 {
			return out, false
		}
		out = append(out, byte(val(g[2])<<6|val(g[3])))
	}
	return out, true
}
