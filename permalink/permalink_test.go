package permalink_test

import (
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/permalink"
	"github.com/imdsplay/imdsplay/permalink/stdflate"
)

// The package's functions with compress/flate, as Go programs use it.
var (
	Encode = stdflate.Encode
	Decode = stdflate.Decode
)

type (
	Link     = permalink.Link
	Block    = permalink.Block
	Scenario = permalink.Scenario
	Run      = permalink.Run
	Error    = permalink.Error
)

const (
	Prefix       = permalink.Prefix
	FragmentKey  = permalink.FragmentKey
	MaxEncoded   = permalink.MaxEncoded
	MaxJSON      = permalink.MaxJSON
	MaxBlocks    = permalink.MaxBlocks
	MaxBlockText = permalink.MaxBlockText
)

var ParseJSON = permalink.ParseJSON

func ptr[T any](v T) *T { return &v }

// sample is a link like the playground makes: two edited blocks and a changed scenario.
func sample() Link {
	return Link{
		Page: "identity-token",
		Blocks: []Block{
			{Index: 0, Hash: "1a2b3c4d", Text: `curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" \` + "\n" + `  -H "Metadata-Flavor: ibm" -d '{"expires_in": 60}'`},
			{Index: 3, Text: "echo 'ünïcode ✓' \"$tok\"\n\ttabs\x00and NUL"},
		},
		Scenario: &Scenario{
			Enabled: ptr(false), Protocol: "https", HopLimit: 2, Status: "stopped", Hops: 3,
			DefaultProfile: ptr(""), AutoLink: ptr(false), Linked: &[]string{}, Version: ptr("2024-11-12"),
		},
	}
}

func TestRoundTrip(t *testing.T) {
	for name, l := range map[string]Link{
		"ok/empty":       {},
		"ok/sample":      sample(),
		"ok/page-only":   {Page: "versions"},
		"ok/version-off": {Scenario: &Scenario{Version: ptr("")}},
		"ok/linked":      {Scenario: &Scenario{Linked: &[]string{"Profile-1", "Profile-2"}}},
		"ok/run":         {Page: "identity-token", Run: &Run{Index: 2, Hash: "0a1b2c3d", Pre: []int{0, 1}}},
		"ok/run-alone":   {Run: &Run{Index: 0}},
	} {
		t.Run(name, func(t *testing.T) {
			enc, err := Encode(l)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(enc, Prefix) || strings.ContainsAny(enc[len(Prefix):], "+/=#&% ") {
				t.Errorf("got %q; want v1. and base64url without padding", enc)
			}
			for _, frag := range []string{enc, FragmentKey + enc, "#" + FragmentKey + enc, "#other=1&" + FragmentKey + enc} {
				got, err := Decode(frag)
				if err != nil {
					t.Fatalf("Decode(%q): %v", frag, err)
				}
				if !reflect.DeepEqual(got, l) {
					t.Errorf("Decode(%q) = %+v; want %+v", frag, got, l)
				}
			}
			// Deterministic: the same state makes the same link.
			if again, _ := Encode(l); again != enc {
				t.Errorf("Encode is not deterministic: %q then %q", enc, again)
			}
		})
	}
}

// TestSize: a typical link is short, and the limit is enforced on both sides.
func TestSize(t *testing.T) {
	enc, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > 600 {
		t.Errorf("the sample link is %d characters; want it under 600", len(enc))
	}
	t.Logf("sample link: %d characters", len(enc))

	// Text that does not compress: random letters, about 6 bits each.
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[rng.IntN(62)]
		}
		return string(b)
	}
	_, err = Encode(Link{Blocks: []Block{{Index: 0, Text: random(9000)}}})
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "too long") || !strings.Contains(err.Error(), "8192") {
		t.Errorf("got %v; want a too-long error naming the limit", err)
	}
	// Text that compresses well may be long.
	if _, err := Encode(Link{Blocks: []Block{{Index: 0, Text: strings.Repeat("curl -s $x\n", 3000)}}}); err != nil {
		t.Errorf("a long, repetitive block: %v; want it to fit", err)
	}
	// A payload over the limit is refused before decoding.
	if _, err := Decode(Prefix + strings.Repeat("A", MaxEncoded)); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("got %v; want too long", err)
	}
	// A decompression bomb is cut at MaxJSON.
	bomb := deflate([]byte(`{"page":"x","blocks":[{"i":0,"t":"` + strings.Repeat("a", MaxJSON) + `"}]}`))
	if len(bomb) > MaxEncoded {
		t.Fatalf("the bomb is %d characters; the test needs it under the limit", len(bomb))
	}
	if _, err := Decode(bomb); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("got %v; want the decoded-size limit", err)
	}
}

// deflate encodes raw JSON as a current payload, bypassing Encode's validation.
func deflate(js []byte) string {
	z, _ := stdflate.Flate{}.Deflate(js)
	return Prefix + base64.RawURLEncoding.EncodeToString(z)
}

// deflateV1 encodes raw JSON as a v1 payload.
func deflateV1(js []byte) string {
	return permalink.PrefixV1 + strings.TrimPrefix(deflate(js), Prefix)
}

// TestDecodeV1: links made by the first version of the playground still open, to the same
// state. testdata/v1-sample.link is sample() as that version encoded it.
func TestDecodeV1(t *testing.T) {
	b, err := os.ReadFile("testdata/v1-sample.link")
	if err != nil {
		t.Fatal(err)
	}
	v1 := strings.TrimSpace(string(b))
	if !strings.HasPrefix(v1, "v1.") {
		t.Fatalf("the fixture starts with %.4q; want v1.", v1)
	}
	got, err := Decode("#" + FragmentKey + v1)
	if err != nil {
		t.Fatal(err)
	}
	if want := sample(); !reflect.DeepEqual(got, want) {
		t.Errorf("the v1 link decodes to %+v; want %+v", got, want)
	}
	// Encoding the same state now makes a v2 link to the same state.
	enc, err := Encode(got)
	if err != nil || !strings.HasPrefix(enc, Prefix) {
		t.Fatalf("re-encoded: %q, %v; want a %s link", enc, err, Prefix)
	}
	// A v1 payload is read by v1's rules: it has no run.
	if _, err := Decode(deflateV1([]byte(`{"run":{"i":1}}`))); err == nil || !strings.Contains(err.Error(), "run: unknown field") {
		t.Errorf("a v1 link with run: got %v; want run refused as an unknown field", err)
	}
	if l, err := Decode(deflateV1([]byte(`{"page":"x","blocks":[{"i":0,"t":"echo"}]}`))); err != nil || l.Page != "x" || len(l.Blocks) != 1 {
		t.Errorf("a small v1 link: got %+v, %v", l, err)
	}
}

// failing is a Compression that cannot compress.
type failing struct{ stdflate.Flate }

func (failing) Deflate([]byte) ([]byte, error) { return nil, errors.New("no compressor here") }

func TestCompressionErrors(t *testing.T) {
	_, err := permalink.Encode(Link{Page: "x"}, failing{})
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no compressor here") {
		t.Errorf("got %v; want the compressor's error, as a *permalink.Error", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(sample())
	for _, tt := range []struct {
		name, in, want string
	}{
		{"fail/empty", "", "no \"imds=\""},
		{"fail/heading-anchor", "#try-it", "no \"imds=\""},
		{"fail/other-key", "#q=v1.abc", "no \"imds=\""},
		{"fail/no-version", "imds=hello", "should start with \"v2.\""},
		{"fail/future-version", "#imds=v3.AAAA", "format v3, which this version of the playground cannot read (it reads v1 and v2)"},
		{"fail/bare-future-version", "v9.AAAA", "format v9"},
		{"fail/not-base64", "#imds=v1.ab$cd", "not base64url at character 5"},
		{"fail/padding", "#imds=" + good + "==", "not base64url"},
		{"fail/cut-short", "#imds=" + good[:len(good)/2], "damaged"},
		{"fail/not-deflate", "#imds=v1." + base64.RawURLEncoding.EncodeToString([]byte("plain text, not deflate")), "does not decompress"},
		{"fail/not-json", deflate([]byte(`page: x`)), "not valid JSON"},
		{"fail/not-object", deflate([]byte(`[1, 2]`)), "must be a JSON object"},
		{"fail/trailing", deflate([]byte(`{}{}`)), "data after"},
		{"fail/unknown-field", deflate([]byte(`{"pgae": "x"}`)), "pgae: unknown field"},
		{"fail/type", deflate([]byte(`{"blocks": [{"i": "zero", "t": ""}]}`)), "blocks.i: must be a number"},
		{"fail/type-scenario", deflate([]byte(`{"scenario": {"enabled": "yes"}}`)), "scenario.enabled: must be a boolean"},
		{"fail/negative-index", deflate([]byte(`{"blocks": [{"i": -1, "t": ""}]}`)), "blocks[0].i: must be between 0 and 999"},
		{"fail/duplicate-index", deflate([]byte(`{"blocks": [{"i": 1, "t": ""}, {"i": 1, "t": "x"}]}`)), "blocks[1].i: block 1 appears twice"},
		{"fail/hash", deflate([]byte(`{"blocks": [{"i": 1, "h": "XYZ", "t": ""}]}`)), "blocks[0].h"},
		{"fail/slug", deflate([]byte(`{"page": "../etc"}`)), "page: must be a page slug"},
		{"fail/protocol", deflate([]byte(`{"scenario": {"protocol": "ftp"}}`)), "scenario.protocol"},
		{"fail/hop-limit", deflate([]byte(`{"scenario": {"hopLimit": 65}}`)), "scenario.hopLimit"},
		{"fail/hops", deflate([]byte(`{"scenario": {"hops": -1}}`)), "scenario.hops"},
		{"fail/status", deflate([]byte(`{"scenario": {"status": "paused"}}`)), "scenario.status"},
		{"fail/version", deflate([]byte(`{"scenario": {"version": "2025-02-30"}}`)), "is not a date"},
		{"fail/linked-empty-id", deflate([]byte(`{"scenario": {"linked": [""]}}`)), "scenario.linked[0]"},
		{"fail/run-index", deflate([]byte(`{"run": {"i": 1000}}`)), "run.i: must be between 0 and 999"},
		{"fail/run-hash", deflate([]byte(`{"run": {"i": 1, "h": "nothex"}}`)), "run.h"},
		{"fail/run-pre-after", deflate([]byte(`{"run": {"i": 1, "pre": [1]}}`)), "run.pre[0]: must be a block before block 1"},
		{"fail/run-pre-order", deflate([]byte(`{"run": {"i": 5, "pre": [2, 1]}}`)), "run.pre[1]: blocks must be in page order"},
		{"fail/run-pre-twice", deflate([]byte(`{"run": {"i": 5, "pre": [2, 2]}}`)), "run.pre[1]"},
		{"fail/run-pre-type", deflate([]byte(`{"run": {"i": 5, "pre": "0"}}`)), "run.pre: must be an array of numbers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v; want a *permalink.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "permalink: ") {
				t.Errorf("got %q; want a message with %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRejectsInvalid(t *testing.T) {
	for name, l := range map[string]Link{
		"fail/too-many-blocks": {Blocks: make([]Block, MaxBlocks+1)},
		"fail/long-block":      {Blocks: []Block{{Text: strings.Repeat("x", MaxBlockText+1)}}},
		"fail/bad-scenario":    {Scenario: &Scenario{HopLimit: 100}},
	} {
		if _, err := Encode(l); err == nil {
			t.Errorf("%s: Encode accepted %.60v", name, l)
		}
	}
}

func TestParseJSON(t *testing.T) {
	l, err := ParseJSON([]byte(`{"page":"versions","blocks":[{"i":2,"h":"00ff","t":"echo hi"}],"scenario":{"hops":2}}`))
	if err != nil || l.Page != "versions" || len(l.Blocks) != 1 || l.Scenario.Hops != 2 {
		t.Errorf("got %+v, %v", l, err)
	}
	if _, err := ParseJSON([]byte(`{"blocks":{}}`)); err == nil || !strings.Contains(err.Error(), "blocks: must be a") {
		t.Errorf("got %v; want blocks named", err)
	}
}

// FuzzDecode: no input panics, every error is a *Error, and whatever decodes encodes back
// to a link that decodes to the same value.
func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample())
	f.Add(good)
	f.Add("#" + FragmentKey + good)
	f.Add("")
	f.Add("#imds=v1.")
	f.Add("#imds=v2.")
	f.Add("v3.abc")
	f.Add(deflateV1([]byte(`{"blocks":[{"i":0,"t":"x"}]}`)))
	f.Add(deflate([]byte(`{"run":{"i":3,"pre":[0,2]}}`)))
	f.Add(deflate([]byte(`{"blocks":[{"i":0,"t":"x"}]}`)))
	f.Fuzz(func(t *testing.T, in string) {
		l, err := Decode(in)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Decode(%q): error %T %v; want *Error", in, err, err)
			}
			return
		}
		enc, err := Encode(l)
		if err != nil {
			// Re-encoding can only fail on size (a crafted stream can compress better).
			if !strings.Contains(err.Error(), "too long") {
				t.Fatalf("Encode(Decode(%q)): %v", in, err)
			}
			return
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(%q))): %v", in, err)
		}
		if !reflect.DeepEqual(again, l) {
			t.Fatalf("round trip changed %+v into %+v", l, again)
		}
	})
}
