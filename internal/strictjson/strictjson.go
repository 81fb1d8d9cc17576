// Package strictjson decodes JSON documents that must be exactly one JSON value: the one
// place in imdsplay that decides what a strict document is. Request bodies, scenario
// documents, permalinks and the parts of tokens all go through it, so a rule added here (which
// duplicate or case-folded keys to refuse) holds for every one of them. Two properties of one
// object whose names are equal, or equal but for case, are refused (*DuplicateKeyError).
//
// A document is one JSON value with nothing after it but JSON whitespace. json.Decoder.More
// is no test for that: it reports false before a stray '}' or ']', so `{}}` would pass for
// `{}`; the rest of the input is examined instead.
//
// Errors of encoding/json (*json.SyntaxError, *json.UnmarshalTypeError) are returned as they
// are, for callers to word in their own terms; the package adds ErrTrailingData and
// *UnknownFieldError, which, unlike encoding/json's own error, names where the property is.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// ErrTrailingData is the error for anything but whitespace after the JSON value.
var ErrTrailingData = errors.New("data after the JSON value")

// UnknownFieldError is a property of an object that the value decoded into has no field for.
type UnknownFieldError struct {
	Name string // the property's name, quoted as encoding/json quotes it, without the quotes
	// Path is where the property is, from the document's root: "a.b[2].name" for the property
	// name of the third element of b in a; Name itself at the root.
	Path string
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
			name = strings.Trim(name, `"`)
			path := unknownPath(data, reflect.TypeOf(v), "")
			if path == "" {
				path = name
			}
			return &UnknownFieldError{Name: name, Path: path}
		}
		return err
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return ErrTrailingData
	}
	return duplicates(data)
}

// DuplicateKeyError is an object with two properties of the same name, or of names that differ
// only in case: encoding/json keeps the last one (matching names case-insensitively), another
// reader may keep the first, and a document two readers disagree on is refused.
type DuplicateKeyError struct {
	Name string // the second property's name
}

func (e *DuplicateKeyError) Error() string { return "duplicate property " + strconv.Quote(e.Name) }

// duplicates walks a valid document once and returns a *DuplicateKeyError for the first
// object that names a property twice.
func duplicates(data []byte) error {
	if bytes.IndexByte(data, ':') < 0 {
		return nil // no object with properties
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		keys   map[string]bool // nil for an array
		expect bool            // an object's next token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end (the document decoded already)
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].keys != nil && stack[top].expect {
			if key, ok := tok.(string); ok {
				folded := strings.ToLower(key)
				if stack[top].keys[folded] {
					return &DuplicateKeyError{Name: key}
				}
				stack[top].keys[folded] = true
				stack[top].expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		// A value ended: the enclosing object expects a key next.
		if n := len(stack) - 1; n >= 0 && stack[n].keys != nil {
			stack[n].expect = true
		}
	}
}

// unknownPath finds, in document order, the first property of data that a value of type t has
// no field for, and returns its path under prefix, or "" when there is none. encoding/json
// names the property only; this walks the document again, which is cheap next to a refusal.
func unknownPath(data []byte, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		dec := json.NewDecoder(bytes.NewReader(data))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return ""
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return ""
			}
			key, _ := tok.(string)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return ""
			}
			// Written as encoding/json writes the name in its error (and so in Name).
			seg := strings.Trim(strconv.Quote(key), `"`)
			path := seg
			if prefix != "" {
				path = prefix + "." + seg
			}
			ft, ok := fieldType(t, key)
			if !ok {
				return path
			}
			if p := unknownPath(raw, ft, path); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return ""
		}
		for i, item := range items {
			if p := unknownPath(item, t.Elem(), prefix+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return ""
		}
		for k, v := range m {
			if p := unknownPath(v, t.Elem(), prefix+"."+strings.Trim(strconv.Quote(k), `"`)); p != "" {
				return p
			}
		}
	}
	return ""
}

// fieldType is the type of the field of struct type t that encoding/json decodes the
// property key into: by its name in the json tag (or the Go name), exactly or else folding
// case, through embedded structs.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	var walk func(t reflect.Type) reflect.Type
	walk = func(t reflect.Type) reflect.Type {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				et := f.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					if ft := walk(et); ft != nil {
						return ft
					}
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if name == key {
				return f.Type
			}
			if fold == nil && strings.EqualFold(name, key) {
				fold = f.Type
			}
		}
		return nil
	}
	if ft := walk(t); ft != nil {
		return ft, true
	}
	return fold, fold != nil
}
