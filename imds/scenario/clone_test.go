package scenario

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// jsonClone is what Clone was: a JSON round trip, the reference for what a copy holds.
func jsonClone(s *Scenario) *Scenario {
	data, _ := json.Marshal(s)
	var c Scenario
	json.Unmarshal(data, &c)
	return &c
}

// fillStrings sets every string of v to text and every time to t: a change at every leaf.
func fillStrings(v reflect.Value, text string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fillStrings(v.Elem(), text)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			fillStrings(v.Index(i), text)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), text)
			}
		}
	}
}

// TestCloneIsDeep checks that Clone holds what the JSON round trip held, and that changing
// every string of the copy leaves the original as it was: nothing shared but strings.
func TestCloneIsDeep(t *testing.T) {
	s := Default()
	s.TrustedProfiles[0].LinkedInstances = []string{} // omitempty and empty: nil in the copy
	want := jsonClone(s)
	c := s.Clone()
	if !reflect.DeepEqual(c, want) {
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(want)
		t.Fatalf("Clone differs from the JSON round trip:\n%s\n%s", a, b)
	}
	before, _ := json.Marshal(s)
	fillStrings(reflect.ValueOf(c).Elem(), "changed")
	if after, _ := json.Marshal(s); string(after) != string(before) {
		t.Errorf("changing the copy changed the original")
	}
}
