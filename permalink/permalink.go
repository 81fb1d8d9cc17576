// Package permalink encodes what a reader changed on a playground page (the edited blocks and
// the scenario settings) and, for a link made from one block, the run to reproduce (that block,
// after the blocks it needs) into a URL fragment, and reads it back. The fragment never leaves
// the browser: browsers do not send it to the server.
//
// # Format
//
// A link's fragment is "#imds=" followed by the payload:
//
//	v2.<base64url, no padding, of raw DEFLATE (RFC 1951) of the JSON of a Link>
//
// The prefix names the format, so that a later format can be told apart and refused with a
// clear message rather than misread. The JSON is compact and strict: unknown fields, trailing
// data and out-of-range values are errors, each naming the field at fault.
//
// Versions: v1 (the first playground's links) carried page, blocks and scenario; v2 adds run.
// Encode writes v2; Decode reads both, each by its own rules, so a v1 link opens as it always
// did and a v1 payload that names run is refused as the v1 reader refused it.
//
// # Limits
//
// An encoded payload is at most MaxEncoded (8192) characters: links up to that length survive
// browsers, chat tools and mail clients, and the whole URL stays well inside the 64 KiB or so
// that browsers keep. A decoded JSON document is at most MaxJSON (256 KiB), which bounds what a
// crafted link can make the page inflate. A link holds at most MaxBlocks blocks of at most
// MaxBlockText bytes each.
//
// # Compression
//
// The DEFLATE step is injected (Compression): natively it is compress/flate (package
// permalink/stdflate); in the browser it is the browser's own CompressionStream("deflate-raw"),
// which produces and reads the same format, so a link made by either opens with the other.
// Importing compress/flate would add 35 KB (brotli) to the WebAssembly build, whose budget is
// 2.5 MB, for code the browser already has.
//
// The package is pure: no I/O, no clock, no randomness; Encode is deterministic for a
// deterministic Compression.
package permalink

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/imdsplay/imdsplay/internal/strictjson"
)

// Format constants.
const (
	// Prefix starts every payload Encode writes: the format version.
	Prefix = "v2."
	// PrefixV1 starts the payloads of the first format, which Decode still reads.
	PrefixV1 = "v1."
	// FragmentKey introduces the payload in a URL fragment: "#imds=v1.…".
	FragmentKey = "imds="
	// MaxEncoded is the longest payload accepted or produced, prefix included.
	MaxEncoded = 8192
	// MaxJSON is the largest decoded JSON document accepted.
	MaxJSON = 256 << 10
	// MaxBlocks is the most blocks one link carries.
	MaxBlocks = 200
	// MaxBlockText is the longest text of one block, in bytes.
	MaxBlockText = 64 << 10
	// MaxLinked is the most linked profiles one link names.
	MaxLinked = 64
)

// Link is what a permalink carries.
type Link struct {
	// Page is the slug of the page the link was made on ("" for the home page).
	Page string `json:"page,omitempty"`
	// Blocks are the page's edited blocks.
	Blocks []Block `json:"blocks,omitempty"`
	// Scenario is the state of the world the blocks were run against.
	Scenario *Scenario `json:"scenario,omitempty"`
	// Run is the run the link reproduces, when it was made from one block (v2).
	Run *Run `json:"run,omitempty"`
}

// linkV1 is a Link as format v1 had it: no run.
type linkV1 struct {
	Page     string    `json:"page,omitempty"`
	Blocks   []Block   `json:"blocks,omitempty"`
	Scenario *Scenario `json:"scenario,omitempty"`
}

// Run is a block's run to reproduce: the page runs the blocks of Pre, in order, then the block.
type Run struct {
	// Index is the block's position among the page's live blocks, from 0.
	Index int `json:"i"`
	// Hash identifies the block's documented text, as Block.Hash does.
	Hash string `json:"h,omitempty"`
	// Pre are the blocks that run first, in page order: the blocks above that set what the
	// block needs. Each comes before Index.
	Pre []int `json:"pre,omitempty"`
}

// Block is one edited live block.
type Block struct {
	// Index is the block's position among the page's live blocks, from 0.
	Index int `json:"i"`
	// Hash identifies the block's documented text (the page chooses the function, e.g. 8 hex
	// digits of FNV-1a), so that a link made before the page changed is not applied to the
	// wrong block. Empty means unchecked.
	Hash string `json:"h,omitempty"`
	// Text is the block's text as the reader left it.
	Text string `json:"t"`
}

// Scenario is the part of the world a reader changes from the instance panel; absent fields
// leave the world as it is. The JSON field names are those of the wasm API's configure patch
// (imds.configure), so the page can pass one to the other.
type Scenario struct {
	Enabled        *bool     `json:"enabled,omitempty"`
	Protocol       string    `json:"protocol,omitempty"` // http or https
	HopLimit       int       `json:"hopLimit,omitempty"` // 1..64
	Status         string    `json:"status,omitempty"`   // running or stopped
	Hops           int       `json:"hops,omitempty"`     // where commands run, 1..64
	DefaultProfile *string   `json:"defaultProfile,omitempty"`
	AutoLink       *bool     `json:"autoLink,omitempty"`
	Linked         *[]string `json:"linked,omitempty"`
	Version        *string   `json:"version,omitempty"` // YYYY-MM-DD, or "" for as written
}

// Error is a link that cannot be read or written. Its message is meant for the reader.
type Error struct {
	// Field is the JSON field at fault ("blocks[2].t"), or "" for the link as a whole.
	Field  string
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "permalink: " + e.Reason
	}
	return "permalink: " + e.Field + ": " + e.Reason
}

func errf(field, format string, args ...any) error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// enc is base64url without padding: the fragment needs no escaping.
var enc = base64.RawURLEncoding

// Compression is raw DEFLATE (RFC 1951, no zlib or gzip header).
type Compression interface {
	// Deflate compresses data.
	Deflate(data []byte) ([]byte, error)
	// Inflate decompresses data, returning at most limit+1 bytes (more than limit means too
	// much), or an error when data is not valid raw DEFLATE.
	Inflate(data []byte, limit int) ([]byte, error)
}

// Encode returns the payload for l ("v1.…", without FragmentKey). It fails when l is not
// valid or when the payload would exceed MaxEncoded.
func Encode(l Link, c Compression) (string, error) {
	if err := l.Validate(); err != nil {
		return "", err
	}
	js, err := json.Marshal(l)
	if err != nil {
		return "", errf("", "%v", err)
	}
	if len(js) > MaxJSON {
		return "", errf("", "the page's changes are too large to share as a link (%d bytes of JSON; the limit is %d)", len(js), MaxJSON)
	}
	z, err := c.Deflate(js)
	if err != nil {
		return "", errf("", "compressing the link: %v", err)
	}
	out := Prefix + enc.EncodeToString(z)
	if len(out) > MaxEncoded {
		return "", errf("", "the page's changes are too long to share as a link (%d characters; the limit is %d): reset some blocks and share again", len(out), MaxEncoded)
	}
	return out, nil
}

// Decode reads a payload. It accepts the bare payload, "imds=…" or a whole fragment "#imds=…"
// (also when the fragment holds other &-separated parts, as long as one starts with "imds=").
func Decode(fragment string, c Compression) (Link, error) {
	p := payload(fragment)
	if p == "" {
		return Link{}, errf("", "the link carries no playground state (no %q in its fragment)", FragmentKey)
	}
	if !strings.HasPrefix(p, "v") || !strings.Contains(p, ".") {
		return Link{}, errf("", "not a playground link: it should start with %q", Prefix)
	}
	prefix := Prefix
	if strings.HasPrefix(p, PrefixV1) {
		prefix = PrefixV1
	} else if !strings.HasPrefix(p, Prefix) {
		v, _, _ := strings.Cut(p, ".")
		return Link{}, errf("", "the link has format %s, which this version of the playground cannot read (it reads %s and %s)", v, strings.TrimSuffix(PrefixV1, "."), strings.TrimSuffix(Prefix, "."))
	}
	if len(p) > MaxEncoded {
		return Link{}, errf("", "the link is too long (%d characters; the limit is %d)", len(p), MaxEncoded)
	}
	raw, err := enc.DecodeString(p[len(prefix):])
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return Link{}, errf("", "the link is damaged: not base64url at character %d (was it cut or re-encoded?)", len(prefix)+int(ce))
		}
		return Link{}, errf("", "the link is damaged: %v", err)
	}
	js, err := c.Inflate(raw, MaxJSON)
	if err != nil {
		return Link{}, errf("", "the link is damaged: its compressed data does not decompress (was it cut short?)")
	}
	if len(js) > MaxJSON {
		return Link{}, errf("", "the link's state is larger than %d bytes", MaxJSON)
	}
	if prefix == PrefixV1 {
		var l linkV1
		if err := parseInto(js, &l); err != nil {
			return Link{}, err
		}
		return validated(Link{Page: l.Page, Blocks: l.Blocks, Scenario: l.Scenario})
	}
	return parse(js)
}

// payload extracts the payload from a fragment, "imds=" part, or bare payload.
func payload(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "#"))
	if strings.HasPrefix(s, Prefix) || strings.HasPrefix(s, PrefixV1) {
		return s
	}
	for part := range strings.SplitSeq(s, "&") {
		if v, ok := strings.CutPrefix(part, FragmentKey); ok {
			return v
		}
	}
	if strings.HasPrefix(s, "v") && !strings.Contains(s, "=") {
		return s // a bare payload of another version: Decode names it
	}
	return ""
}

// ParseJSON reads a link from its JSON form, as strictly as Decode does (the page hands its
// link to Encode this way).
func ParseJSON(js []byte) (Link, error) {
	if len(js) > MaxJSON {
		return Link{}, errf("", "the page's changes are too large to share as a link (%d bytes of JSON; the limit is %d)", len(js), MaxJSON)
	}
	return parse(js)
}

// parse reads the JSON of a (current) link strictly and validates it.
func parse(js []byte) (Link, error) {
	var l Link
	if err := parseInto(js, &l); err != nil {
		return Link{}, err
	}
	return validated(l)
}

// validated returns l when it is valid.
func validated(l Link) (Link, error) {
	if err := l.Validate(); err != nil {
		return Link{}, err
	}
	return l, nil
}

// parseInto reads the JSON of a link strictly into v, a *Link or *linkV1.
func parseInto(js []byte, v any) error {
	if err := strictjson.UnmarshalKnown(js, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		var ue *strictjson.UnknownFieldError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return errf(te.Field, "must be %s, not a JSON %s", jsonType(te.Type.String()), te.Value)
		case errors.As(err, &te):
			return errf("", "the link's state must be a JSON object, not a JSON %s", te.Value)
		case errors.As(err, &se):
			return errf("", "the link's state is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &ue):
			return errf(ue.Name, "unknown field")
		case errors.Is(err, strictjson.ErrTrailingData):
			return errf("", "the link's state has data after its JSON object")
		}
		return errf("", "the link's state is not valid JSON: %v", err)
	}
	return nil
}

// jsonType says a Go type in JSON's words, with its article.
func jsonType(t string) string {
	list := strings.HasPrefix(strings.TrimLeft(t, "*"), "[]")
	switch strings.TrimLeft(t, "*[]") {
	case "bool":
		return "a boolean"
	case "int", "int64":
		if list {
			return "an array of numbers"
		}
		return "a number"
	case "string":
		if list {
			return "an array of strings"
		}
		return "a string"
	}
	if list {
		return "an array"
	}
	return "an object"
}

var (
	slugRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`) })
	hashRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{1,16}$`) })
	versionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`) })
)

// Validate checks the limits and value ranges of a link, naming the field at fault.
func (l Link) Validate() error {
	if l.Page != "" && !slugRE().MatchString(l.Page) {
		return errf("page", "must be a page slug (lower-case letters, digits, '-', '.', '_'), not %q", clip(l.Page))
	}
	if len(l.Blocks) > MaxBlocks {
		return errf("blocks", "at most %d blocks, not %d", MaxBlocks, len(l.Blocks))
	}
	seen := map[int]bool{}
	for i, b := range l.Blocks {
		f := fmt.Sprintf("blocks[%d]", i)
		if b.Index < 0 || b.Index >= 1000 {
			return errf(f+".i", "must be between 0 and 999, not %d", b.Index)
		}
		if seen[b.Index] {
			return errf(f+".i", "block %d appears twice", b.Index)
		}
		seen[b.Index] = true
		if b.Hash != "" && !hashRE().MatchString(b.Hash) {
			return errf(f+".h", "must be 1 to 16 lower-case hex digits, not %q", clip(b.Hash))
		}
		if len(b.Text) > MaxBlockText {
			return errf(f+".t", "at most %d bytes, not %d", MaxBlockText, len(b.Text))
		}
		if !utf8.ValidString(b.Text) {
			return errf(f+".t", "must be valid UTF-8")
		}
	}
	if r := l.Run; r != nil {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	if s := l.Scenario; s != nil {
		return s.Validate()
	}
	return nil
}

// Validate checks a run: a block index, its hash, and blocks before it in page order.
func (r Run) Validate() error {
	if r.Index < 0 || r.Index >= 1000 {
		return errf("run.i", "must be between 0 and 999, not %d", r.Index)
	}
	if r.Hash != "" && !hashRE().MatchString(r.Hash) {
		return errf("run.h", "must be 1 to 16 lower-case hex digits, not %q", clip(r.Hash))
	}
	for i, p := range r.Pre {
		if p < 0 || p >= r.Index {
			return errf(fmt.Sprintf("run.pre[%d]", i), "must be a block before block %d, not %d", r.Index, p)
		}
		if i > 0 && p <= r.Pre[i-1] {
			return errf(fmt.Sprintf("run.pre[%d]", i), "blocks must be in page order, each once")
		}
	}
	return nil
}

// Validate checks a scenario's value ranges.
func (s Scenario) Validate() error {
	if s.Protocol != "" && s.Protocol != "http" && s.Protocol != "https" {
		return errf("scenario.protocol", "must be http or https, not %q", clip(s.Protocol))
	}
	if s.HopLimit != 0 && (s.HopLimit < 1 || s.HopLimit > 64) {
		return errf("scenario.hopLimit", "must be between 1 and 64, not %d", s.HopLimit)
	}
	if s.Status != "" && s.Status != "running" && s.Status != "stopped" {
		return errf("scenario.status", "must be running or stopped, not %q", clip(s.Status))
	}
	if s.Hops != 0 && (s.Hops < 1 || s.Hops > 64) {
		return errf("scenario.hops", "must be between 1 and 64, not %d", s.Hops)
	}
	if s.DefaultProfile != nil && len(*s.DefaultProfile) > 200 {
		return errf("scenario.defaultProfile", "at most 200 characters")
	}
	if s.Linked != nil {
		if len(*s.Linked) > MaxLinked {
			return errf("scenario.linked", "at most %d profiles, not %d", MaxLinked, len(*s.Linked))
		}
		for i, id := range *s.Linked {
			if id == "" || len(id) > 200 {
				return errf(fmt.Sprintf("scenario.linked[%d]", i), "must be a profile id of 1 to 200 characters")
			}
		}
	}
	if v := s.Version; v != nil && *v != "" {
		if !versionRE().MatchString(*v) {
			return errf("scenario.version", "must be a date YYYY-MM-DD, not %q", clip(*v))
		}
		if _, err := time.Parse("2006-01-02", *v); err != nil {
			return errf("scenario.version", "%q is not a date", *v)
		}
	}
	return nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
