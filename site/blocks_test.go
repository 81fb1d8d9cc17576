package site

import (
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/imdsplay/imdsplay/internal/fixture"
)

// TestBlockNeeds: every live block says which variables it reads and sets, and which files it
// needs from the blocks above it (at the same place) and writes, for the runtime to run the
// blocks above first.
func TestBlockNeeds(t *testing.T) {
	content := fstest.MapFS{
		"needs.md": {Data: []byte("---\ntitle: Needs\n---\n\n" +
			fence + "sh\nopenssl req -newkey rsa:2048 -subj '/C=US' -out ./a.csr -keyout a.key -nodes\n" + fence + "\n\n" +
			fence + "sh\nexport tok=$(curl -s -X PUT \"$vpc_metadata_api_endpoint/identity/v1/token\" | jq -r .access_token)\n" + fence + "\n\n" +
			fence + "sh\ncsr=$(awk 'NF' a.csr)\ncurl -H \"Authorization: Bearer $tok\" -d \"$csr\" \"$vpc_metadata_api_endpoint/x\" -o out.json\n" + fence + "\n\n" +
			fence + "sh on=workstation\ncat a.csr; echo \"$iam_token $tok $vpc_api_endpoint\"\n" + fence + "\n\n" +
			fence + "sh static\necho \"$never\"\n" + fence + "\n"),
		},
	}
	_, out := buildTest(t, content, stubRoot(t, false))
	doc := parseFile(t, filepath.Join(out, "needs", "index.html"))
	blocks := fixture.FindAll(doc, fixture.TestID("live-block"))
	want := []map[string]string{
		{"id": "block-1", "data-files-out": "a.csr a.key"},
		{"id": "block-2", "data-sets": "tok"},
		{"id": "block-3", "data-reads": "tok", "data-sets": "csr", "data-files-in": "a.csr", "data-files-out": "out.json"},
		// Another place: the instance's files and presets are not the workstation's.
		{"id": "block-4", "data-reads": "tok"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("got %d live blocks; want %d", len(blocks), len(want))
	}
	for i, w := range want {
		for _, key := range []string{"id", "data-reads", "data-sets", "data-files-in", "data-files-out"} {
			if got := fixture.Attr(blocks[i], key); got != w[key] {
				t.Errorf("block %d %s: got %q; want %q", i+1, key, got, w[key])
			}
		}
		if got := fixture.Attr(fixture.Find(blocks[i], fixture.TestID("block-link")), "href"); got != "#"+w["id"] {
			t.Errorf("block %d link: got %q; want #%s", i+1, got, w["id"])
		}
	}
}
