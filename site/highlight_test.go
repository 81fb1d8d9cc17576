package site

import (
	"reflect"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/web"
)

// concat joins the token texts; it must give back the source.
func concat(toks []web.Token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.Text)
	}
	return b.String()
}

// classOf returns the class of the first token containing text (neighbours
// of one class are merged, so "=$(" is one token).
func classOf(toks []web.Token, text string) (string, bool) {
	for _, t := range toks {
		if strings.Contains(t.Text, text) {
			return t.Class, true
		}
	}
	return "", false
}

func TestHighlightSh(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      map[string]string // token text → class
	}{
		{"ok/command and flags", `curl -s -X PUT --data x`, map[string]string{"curl": tokCmd, "-s": tokFlag, "-X": tokFlag, "--data": tokFlag}},
		{"ok/pipeline", `echo hi | jq .a`, map[string]string{"echo": tokCmd, "|": tokOp, "jq": tokCmd}},
		{"ok/assignment", `token=$(curl -s x)`, map[string]string{"token": tokVar, "=": tokOp, "$(": tokOp, "curl": tokCmd, ")": tokOp}},
		{"ok/strings and vars", `echo "a $x ${y}" 'lit $z'`, map[string]string{"$x": tokVar, "${y}": tokVar, `'lit $z'`: tokStr}},
		{"ok/comment", "ls # list\nls", map[string]string{"# list": tokCom}},
		{"ok/redirection", `cmd 2>/dev/null >out`, map[string]string{"2>": tokOp, ">": tokOp}},
		{"ok/and or", `a && b || c; d`, map[string]string{"&&": tokOp, "||": tokOp, ";": tokOp, "b": tokCmd, "d": tokCmd}},
		{"ok/heredoc", "cat <<EOF\nbody $x\nEOF\necho done", map[string]string{"<<": tokOp, "body $x\n": tokStr, "EOF": tokOp, "echo": tokCmd}},
		{"ok/continuation", "curl \\\n  -H x", map[string]string{"\\": tokOp, "-H": tokFlag}},
		{"ok/special params", `echo $? $1 $#`, map[string]string{"$?": tokVar, "$1": tokVar, "$#": tokVar}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toks := highlightSh(tc.src)
			if got := concat(toks); got != tc.src {
				t.Fatalf("tokens join to %q; want %q", got, tc.src)
			}
			for text, want := range tc.want {
				got, ok := classOf(toks, text)
				if !ok {
					t.Errorf("no token %q in %q", text, toks)
				} else if got != want {
					t.Errorf("%q: got class %q; want %q", text, got, want)
				}
			}
		})
	}
}

func TestHighlightJSON(t *testing.T) {
	src := `{"access_token": "eyJ\"x", "expires_in": -3.5e2, "ok": true, "n": null, "f": false, …}`
	toks := highlightJSON(src)
	if got := concat(toks); got != src {
		t.Fatalf("tokens join to %q; want %q", got, src)
	}
	for text, want := range map[string]string{
		`"access_token"`: tokKey, `"eyJ\"x"`: tokStr, "-3.5e2": tokNum, "true": tokLit, "null": tokLit, "false": tokLit,
	} {
		if got, _ := classOf(toks, text); got != want {
			t.Errorf("%q: got class %q; want %q", text, got, want)
		}
	}
}

// FuzzHighlight checks the one property the live blocks need: no byte is
// ever lost or invented, whatever the input.
func FuzzHighlight(f *testing.F) {
	for _, s := range []string{"", "curl -s \"$x\" | jq .", "cat <<-'E'\n\tx\n\tE\n", `{"a": [1, "b"]}`, "$((1+2)) ${x", "'unterminated", "\"a\\", "a=b c=d e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, lang := range []string{"sh", "json", "text"} {
			if got := concat(highlight(lang, src)); got != src {
				t.Fatalf("%s: tokens join to %q; want %q", lang, got, src)
			}
		}
	})
}

func TestParseFenceInfo(t *testing.T) {
	for _, tc := range []struct {
		info  string
		want  fenceInfo
		fails bool
	}{
		{info: "sh", want: fenceInfo{lang: "sh", live: true, place: imds.OnInstance}},
		{info: "sh on=workstation", want: fenceInfo{lang: "sh", live: true, place: imds.OnWorkstation}},
		{info: "sh on=instance", want: fenceInfo{lang: "sh", live: true, place: imds.OnInstance}},
		{info: "sh static", want: fenceInfo{lang: "sh", static: true, place: imds.OnInstance}},
		{info: "json", want: fenceInfo{lang: "json"}},
		{info: "", want: fenceInfo{}},
		{info: "sh fixed-version", want: fenceInfo{lang: "sh", live: true, place: imds.OnInstance, fixed: []string{"all"}}},
		{info: "sh fixed-version=2025-08-25,2021-12-31 on=workstation", want: fenceInfo{lang: "sh", live: true, place: imds.OnWorkstation, fixed: []string{"2025-08-25", "2021-12-31"}}},
		{info: "sh live", fails: true},
		{info: "sh fixed-version=", fails: true},
		{info: "sh fixed-version=2025-13-01", fails: true},
		{info: "sh fixed-versions", fails: true},
	} {
		got, err := parseFenceInfo(tc.info)
		if (err != nil) != tc.fails {
			t.Errorf("%q: error %v; want failure %v", tc.info, err, tc.fails)
			continue
		}
		if !tc.fails && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v; want %+v", tc.info, got, tc.want)
		}
	}
}

func TestSplitFrontMatter(t *testing.T) {
	fm, body, line, err := splitFrontMatter([]byte("---\ntitle: \"A: b\"\n# comment\n\nsummary: it's 'quoted'\nslug: 'x'\n---\n# Body\n"))
	if err != nil {
		t.Fatal(err)
	}
	if fm["title"] != "A: b" || fm["summary"] != "it's 'quoted'" || fm["slug"] != "x" {
		t.Errorf("got %v", fm)
	}
	if string(body) != "# Body\n" || line != 8 {
		t.Errorf("body %q at line %d; want %q at 8", body, line, "# Body\n")
	}
	if _, body, _, err := splitFrontMatter([]byte("# No front matter\n")); err != nil || string(body) != "# No front matter\n" {
		t.Errorf("without front matter: %q, %v", body, err)
	}
	if _, _, _, err := splitFrontMatter([]byte("---\nno colon here\n---\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("got %v; want an error at line 2", err)
	}
}
