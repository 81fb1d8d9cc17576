package shell_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docBlock is one fenced code block of a reference page.
type docBlock struct {
	page  string
	n     int    // 1-based ordinal among the page's fences
	line  int    // line of the opening fence
	info  string // the fence's info string: sh, json, bash, screen, …
	text  string // content, with the fence's indentation removed
	cmd   string // the shell text to run ("" for sample output)
	out   string // sample output shown after the command in the same block
	notes string // how cmd was taken from the block
}

var fence = regexp.MustCompile("^( *)(```+)\\s*([A-Za-z0-9_-]*)\\s*$")

// readBlocks extracts the fenced blocks of a markdown file in order.
func readBlocks(t testing.TB, path string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []docBlock
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, ticks, info := len(m[1]), m[2], m[3]
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			if c := fence.FindStringSubmatch(lines[j]); c != nil && c[3] == "" && len(c[2]) >= len(ticks) {
				break
			}
			l := lines[j]
			k := 0
			for k < indent && k < len(l) && l[k] == ' ' {
				k++
			}
			body = append(body, l[k:])
		}
		b := docBlock{page: filepath.Base(path), n: len(out) + 1, line: i + 1, info: info, text: strings.Join(body, "\n")}
		b.cmd, b.out, b.notes = splitCommand(b)
		out = append(out, b)
		i = j
	}
	return out
}

var commandWords = regexp.MustCompile(`^(\$ )?(curl|ibmcloud|openssl|awk|echo|export|ssh|npm|jwt|jq|[A-Za-z_][A-Za-z0-9_]*=)`)

// splitCommand separates what a learner pastes from what the page shows as output: blocks
// whose text is JSON are sample output; "$ cmd" lines are the command of a block that goes on
// with its output; a command followed by a blank line and prose-like lines keeps only its
// first paragraph. Everything else is run whole, verbatim.
func splitCommand(b docBlock) (cmd, out, notes string) {
	text := strings.TrimSpace(b.text)
	if text == "" || strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[") || strings.HasPrefix(text, `"`) {
		return "", text, "sample output"
	}
	first := text
	for strings.HasPrefix(first, "#") {
		_, first, _ = strings.Cut(first, "\n")
	}
	if !commandWords.MatchString(first) {
		return "", text, "sample output"
	}
	lines := strings.Split(text, "\n")
	if strings.HasPrefix(lines[0], "$ ") {
		var c []string
		i := 0
		for ; i < len(lines); i++ {
			l := lines[i]
			if i == 0 {
				l = strings.TrimPrefix(l, "$ ")
			}
			c = append(c, l)
			if !strings.HasSuffix(l, `\`) {
				break
			}
		}
		return strings.Join(c, "\n"), strings.TrimSpace(strings.Join(lines[i+1:], "\n")), "the $-prompted line; the rest of the block is its output"
	}
	if para, rest, ok := strings.Cut(text, "\n\n"); ok && !commandWords.MatchString(strings.TrimSpace(rest)) {
		return para, strings.TrimSpace(rest), "the first paragraph; the rest of the block is its output or help text"
	}
	return text, "", "whole block"
}

// referenceDir finds ../shared/reference beside the repository by walking up from the test's
// working directory.
func referenceDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Skip("no working directory:", err)
	}
	for {
		cand := filepath.Join(dir, "shared", "reference")
		if fi, err := os.Stat(filepath.Join(cand, "ibm-docs")); err == nil && fi.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/reference not found beside the repository: the documented-commands proof needs the reference pages")
		}
		dir = parent
	}
}

func TestPrintBlocks(t *testing.T) {
	if os.Getenv("PRINT_BLOCKS") == "" {
		t.Skip("set PRINT_BLOCKS=1 to list the extracted blocks")
	}
	ref := referenceDir(t)
	for _, p := range docPages {
		for _, b := range readBlocks(t, filepath.Join(ref, p)) {
			t.Logf("=== %s #%d (line %d, %s) [%s]\n%s\n--- out: %.80q", b.page, b.n, b.line, b.info, b.notes, b.cmd, b.out)
		}
	}
}

// docPages are the pages issue 3 names, relative to shared/reference.
var docPages = []string{
	"000_b406580308e0e681.txt",
	"ibm-docs/instance_metadata_vpc_identity_operations.md",
	"ibm-docs/instance_metadata_vpc_configure.md",
	"ibm-docs/instance_metadata_vpc_use_trusted_profiles.md",
	"ibm-docs/instance_metadata_vpc_access_instance_metadata.md",
}
