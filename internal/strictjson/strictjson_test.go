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
