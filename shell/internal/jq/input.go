package jq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// statusError is an input failure already worded for standard error, with jq's exit status.
type statusError struct {
	msg    string
	status int
}

func (s statusError) Error() string { return s.msg }

// inputs reads the JSON texts (or raw lines) of standard input or the named files in order.
// It is also the iterator behind jq's input and inputs.
type inputs struct {
	e     *builtin.Env
	files []string
	o     *options

	name   string // current source, "<stdin>" for standard input
	data   []byte
	dec    *json.Decoder
	lines  []string
	opened bool
	line   int // jq's input line counter for error messages
	done   bool
	err    error
}

func (in *inputs) label() string {
	if in.name == "" {
		return "<stdin>"
	}
	return in.name
}

// open loads the next source; it returns io.EOF when there is none.
func (in *inputs) open() error {
	if in.opened && len(in.files) == 0 {
		return io.EOF
	}
	if !in.opened && len(in.files) == 0 {
		in.opened = true
		data, err := in.e.ReadStdin()
		if err != nil {
			return err
		}
		in.name, in.data = "<stdin>", data
	} else {
		in.opened = true
		f := in.files[0]
		in.files = in.files[1:]
		data, err := in.e.ReadFile(f)
		if err != nil {
			// jq reports the file and carries on with the others, exiting 2 at the end.
			fmt.Fprintf(in.e.Stderr, "jq: error: Could not open file %s: %s\n", f, builtin.Reason(err))
			in.err = statusError{"", 2}
			return in.open()
		}
		in.name, in.data = f, data
	}
	in.line = 0
	in.dec = json.NewDecoder(bytes.NewReader(in.data))
	in.dec.UseNumber()
	in.lines = nil
	if in.o.rawIn {
		in.lines = strings.SplitAfter(string(in.data), "\n")
		if n := len(in.lines); n > 0 && in.lines[n-1] == "" {
			in.lines = in.lines[:n-1]
		}
	}
	return nil
}

// next returns the next input value, io.EOF at the end, or a statusError.
func (in *inputs) next() (any, error) {
	if in.done {
		return nil, io.EOF
	}
	if in.o.slurp {
		in.done = true
		var all []any
		var raw strings.Builder
		for {
			v, err := in.one()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if in.o.rawIn {
				raw.WriteString(v.(string))
				continue
			}
			all = append(all, v)
		}
		if in.o.rawIn {
			return raw.String(), nil
		}
		if all == nil {
			all = []any{}
		}
		return all, nil
	}
	return in.one()
}

func (in *inputs) one() (any, error) {
	for {
		if in.dec == nil {
			if err := in.open(); err != nil {
				if err == io.EOF && in.err != nil {
					in.done = true
					return nil, in.err
				}
				return nil, err
			}
		}
		if in.o.rawIn {
			if len(in.lines) == 0 {
				in.dec = nil
				continue
			}
			l := in.lines[0]
			in.lines = in.lines[1:]
			in.line++
			if in.o.slurp {
				return l, nil
			}
			return strings.TrimSuffix(l, "\n"), nil
		}
		var v any
		err := in.dec.Decode(&v)
		if err == io.EOF {
			in.dec = nil
			continue
		}
		off := int(in.dec.InputOffset())
		if err != nil {
			in.done = true
			return nil, statusError{"jq: parse error: " + parseError(in.data, err, off), 2}
		}
		in.line = bytes.Count(in.data[:off], []byte("\n"))
		if off < len(in.data) && in.data[off] == '\n' {
			in.line++
		}
		return v, nil
	}
}

// Next makes inputs a gojq.Iter for jq's input/inputs builtins.
func (in *inputs) Next() (any, bool) {
	v, err := in.next()
	if err == io.EOF {
		return nil, false
	}
	if err != nil {
		return err, true
	}
	return v, true
}

// position is jq's "line L, column C" for a byte offset: lines count from 1, and a newline just
// consumed puts the column at 0 of the next line.
func position(data []byte, off int) string {
	off = min(off, len(data))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Sprintf("line %d, column %d", line, col)
}

func isDelim(c byte) bool { return strings.IndexByte(" \t\r\n[]{},:\"", c) >= 0 }

// parseError words a JSON syntax error like jq's parser: a bare word is an "Invalid numeric
// literal" reported where the word ends, a truncated text is "Unfinished JSON term at EOF".
func parseError(data []byte, err error, _ int) string {
	var se *json.SyntaxError
	if errors.Is(err, io.ErrUnexpectedEOF) || !errors.As(err, &se) {
		if bytes.Count(data, []byte(`"`))%2 == 1 {
			return "Unfinished string at EOF at " + position(data, len(data))
		}
		return "Unfinished JSON term at EOF at " + position(data, len(data))
	}
	at := int(se.Offset) - 1 // the offending byte
	if at < 0 {
		at = 0
	}
	c := byte(0)
	if at < len(data) {
		c = data[at]
	}
	msg := se.Error()
	switch {
	case strings.Contains(msg, "after object key:value pair"), strings.Contains(msg, "after array element"):
		return "Expected separator between values at " + position(data, at+1)
	case strings.Contains(msg, "after object key"):
		return "Objects must consist of key:value pairs at " + position(data, at+1)
	case strings.Contains(msg, "looking for beginning of object key string") && c != '}':
		return "Object keys must be strings at " + position(data, at+1)
	case strings.Contains(msg, "in string literal"):
		return "Invalid string: control characters from U+0000 through U+001F must be escaped at " + position(data, at+1)
	case c == ']' || c == '}':
		return fmt.Sprintf("Unmatched '%c' at %s", c, position(data, at+1))
	case c == ',':
		return "Expected value before ',' at " + position(data, at+1)
	case c == ':':
		return "':' not as part of an object at " + position(data, at+1)
	}
	// A literal: jq reads the whole word and judges it when a delimiter (or the end) arrives.
	start := at
	for start > 0 && !isDelim(data[start-1]) {
		start--
	}
	end := at
	for end < len(data) && !isDelim(data[end]) {
		end++
	}
	word := string(data[start:end])
	what := "Invalid numeric literal"
	if word != "" && strings.IndexByte("tfn", word[0]) >= 0 {
		what = "Invalid literal"
	}
	if word != "" && word[0] == '\'' {
		what = "Invalid string literal; expected \", but got '"
	}
	if end >= len(data) {
		return what + " at EOF at " + position(data, len(data))
	}
	return what + " at " + position(data, end+1)
}
