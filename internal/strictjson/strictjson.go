// Package strictjson decodes JSON documents that must be exactly one JSON value: the one
// place in imdsplay that decides what a strict document is. Request bodies, scenario
// documents, permalinks and the parts of tokens all go through it, so a rule added here (which
// duplicate or case-folded keys to refuse, say) holds for every one of them.
//
// A document is one JSON value with nothing after it but JSON whitespace. json.Decoder.More
// is no test for that: it reports false before a stray '}' or ']', so `{}}` would pass for
// `{}`; the rest of the input is examined instead.
//
// Errors of encoding/json (*json.SyntaxError, *json.UnmarshalTypeError) are returned as they
// are, for callers to word in their own terms; the package adds ErrTrailingData and
// *UnknownFieldError.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// ErrTrailingData is the error for anything but whitespace after the JSON value.
var ErrTrailingData = errors.New("data after the JSON value")

// UnknownFieldError is a property of an object that the value decoded into has no field for.
type UnknownFieldError struct {
	Name string // the property's name, as written
}

func (e *UnknownFieldError) Error() string { return "unknown field " + `"` + e.Name + `"` }

// Unmarshal decodes data, which must be exactly one JSON value, into v. Properties that v
// has no field for are ignored, as encoding/json ignores them.
func Unmarshal(data []byte, v any) error { return decode(data, v, false) }

// UnmarshalKnown is Unmarshal with properties that v has no field for refused, as
// *UnknownFieldError.
func UnmarshalKnown(data []byte, v any) error { return decode(data, v, true) }

func decode(data []byte, v any, known bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if known {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		// encoding/json has no type for this error; its text is all there is.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &UnknownFieldError{Name: strings.Trim(name, `"`)}
		}
		return err
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return ErrTrailingData
	}
	return nil
}
