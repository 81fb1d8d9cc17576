package strictjson_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/imdsplay/imdsplay/internal/strictjson"
)

type doc struct {
	A int `json:"a"`
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
		known    bool
		check    func(error) bool
	}{
		{"ok/object", `{"a": 1}`, true, func(err error) bool { return err == nil }},
		{"ok/whitespace-after", "{\"a\": 1} \t\r\n", true, func(err error) bool { return err == nil }},
		{"ok/unknown-ignored", `{"a": 1, "b": 2}`, false, func(err error) bool { return err == nil }},
		{"fail/stray-brace", `{"a": 1}}`, false, is(strictjson.ErrTrailingData)},
		{"fail/stray-bracket", `{"a": 1}]`, false, is(strictjson.ErrTrailingData)},
		{"fail/second-value", `{"a": 1} {"a": 2}`, false, is(strictjson.ErrTrailingData)},
		{"fail/unknown", `{"a": 1, "b": 2}`, true, func(err error) bool {
			var ue *strictjson.UnknownFieldError
			return errors.As(err, &ue) && ue.Name == "b"
		}},
		{"fail/syntax", `{"a": }`, false, func(err error) bool { var se *json.SyntaxError; return errors.As(err, &se) }},
		{"fail/type", `{"a": "x"}`, false, func(err error) bool {
			var te *json.UnmarshalTypeError
			return errors.As(err, &te) && te.Field == "a"
		}},
		{"fail/empty", ``, false, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			decode := strictjson.Unmarshal
			if tt.known {
				decode = strictjson.UnmarshalKnown
			}
			if err := decode([]byte(tt.in), &d); !tt.check(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

type inner struct {
	Name string `json:"name"`
}

type embedded struct {
	E int `json:"e"`
}

type nested struct {
	embedded
	Boot  *struct{ Volume inner } `json:"boot"`
	Items []inner                 `json:"items"`
	Any   any                     `json:"any"`
}

// TestUnknownFieldPath: an unknown property is named by its path from the root, which
// encoding/json's own error does not say.
func TestUnknownFieldPath(t *testing.T) {
	tests := []struct{ in, name, path string }{
		{`{"x": 1}`, "x", "x"},
		{`{"boot": {"volume": {"name": "a", "profile": {}}}}`, "profile", "boot.volume.profile"},
		{`{"BOOT": {"VOLUME": {"zone": 1}}}`, "zone", "BOOT.VOLUME.zone"},
		{`{"items": [{"name": "a"}, {"name": "b", "size": 1}]}`, "size", "items[1].size"},
		{`{"e": 1, "any": {"free": 1}, "f": 2}`, "f", "f"},
	}
	for _, tt := range tests {
		var d nested
		err := strictjson.UnmarshalKnown([]byte(tt.in), &d)
		var ue *strictjson.UnknownFieldError
		if !errors.As(err, &ue) || ue.Name != tt.name || ue.Path != tt.path {
			t.Errorf("%s: got %v (%+v); want %s at %s", tt.in, err, ue, tt.name, tt.path)
		}
	}
}

// TestUnknownFieldQuoting: a name with quotes reads the same in Name and Path.
func TestUnknownFieldQuoting(t *testing.T) {
	var d nested
	err := strictjson.UnmarshalKnown([]byte(`{"a\"b": 1}`), &d)
	var ue *strictjson.UnknownFieldError
	if !errors.As(err, &ue) || ue.Name != `a\"b` || ue.Path != ue.Name {
		t.Errorf("got %+v", ue)
	}
}

// TestDuplicateKeys: two properties of one name, or of names equal but for case, are refused
// wherever they are (issue 14: `"alg":"none","alg":"RS256"` in a token header, and
// `{"expires_in": 1, "Expires_In": 7}` in a body, were taken, the last one winning).
func TestDuplicateKeys(t *testing.T) {
	for _, doc := range []string{
		`{"alg":"none","alg":"RS256"}`,
		`{"expires_in": 1, "Expires_In": 7}`,
		`{"a": {"b": 1, "c": [1, {"d": 1, "d": 2}]}}`,
		`[{"x": 1}, {"y": [], "y": {}}]`,
	} {
		var dup *strictjson.DuplicateKeyError
		var v any
		if err := strictjson.Unmarshal([]byte(doc), &v); !errors.As(err, &dup) {
			t.Errorf("%s: got %v; want a duplicate key error", doc, err)
		}
	}
	for _, doc := range []string{
		`{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}`,
		`{"k": "a:b", "K2": {"k": 1}}`,
		`[1, "x", {"a": [{"a": {"a": null}}]}]`,
		`"a:b"`,
	} {
		var w any
		if err := strictjson.Unmarshal([]byte(doc), &w); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}
