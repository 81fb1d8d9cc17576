//go:build !js

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/imdsplay/imdsplay/site/browsertest"
)

// compare measures first visits of this tree's site, the site of the tree at o.against and the
// floor, in turn (the order rotating each round, so neither tree always follows the floor), and
// prints each tree's ratio to the same floor and their ratio to each other, round by round: a
// change worth less than the noise between runs shows up here, where two separate runs of
// budgets, minutes apart, would only show the noise. Each site is built by its own tree's
// builder (the other one by `go run ./cmd/imds site build` in that tree): the pages' templates
// are Go code compiled into the builder, so a change to web/*.templ or site/ shows only that way.
func (m *measurer) compare(o options, loadStart string) error {
	fmt.Fprintln(os.Stderr, "building the other tree's site with its own builder…")
	other, err := serveTree(o.against)
	if err != nil {
		return fmt.Errorf("building %s: %w", o.against, err)
	}
	defer other.Close()
	name := filepath.Base(o.against)
	type side struct {
		url                        string
		engine                     bool
		ready, worker, token, long []float64
	}
	sides := []*side{{url: m.site.URL + floorPath}, {url: m.site.URL + o.page, engine: true}, {url: other.URL + o.page, engine: true}}
	var paired []float64
	for i := range o.n {
		got := make([]float64, len(sides))
		for j := range sides {
			sd := sides[(i+j)%len(sides)]
			v, err := m.firstVisit(sd.url, sd.engine)
			if err != nil {
				return fmt.Errorf("visit %d of %s: %w", i+1, sd.url, err)
			}
			got[(i+j)%len(sides)] = v.Ready
			sd.ready = append(sd.ready, v.Ready)
			sd.long = append(sd.long, longest(v.Long))
			if sd.engine {
				sd.worker = append(sd.worker, v.Marks["imds-worker-started"]-v.Marks["imds-engine-start"])
				sd.token = append(sd.token, v.Token)
				if m.verbose {
					fmt.Fprintf(os.Stderr, "round %d, %s: %s; first token %.0f ms\n", i+1, sd.url, v.steps(), v.Token)
				}
			}
		}
		paired = append(paired, got[1]/got[2])
	}
	var t table
	t.ratio("first visit, this tree", sides[1].ready, sides[0].ready, 2.5)
	t.ratio("first visit, "+name, sides[2].ready, sides[0].ready, 2.5)
	t.info("this tree ÷ "+name+", round by round (median)", fmt.Sprintf("%.3f× (%.3f–%.3f)", median(paired), slices.Min(paired), slices.Max(paired)))
	t.info("boot script → worker's first line, this tree / "+name, fmtMs(median(sides[1].worker))+" / "+fmtMs(median(sides[2].worker)))
	t.info("first identity token after ready, this tree / "+name, fmtMs(median(sides[1].token))+" / "+fmtMs(median(sides[2].token)))
	t.info("longest task on the page's thread while it loads, floor / this tree / "+name, fmtMs(median(sides[0].long))+" / "+fmtMs(median(sides[1].long))+" / "+fmtMs(median(sides[2].long)))
	t.info("load average at the start and at the end", loadStart+" → "+loadavg())
	t.print(os.Stdout)
	return nil
}

// serveTree builds the site of the repository at root with root's own `imds site build` into a
// temporary folder and serves it as browsertest.BuildAndServe serves its builds.
func serveTree(root string) (*browsertest.Site, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "imds-against-")
	if err != nil {
		return nil, err
	}
	out := filepath.Join(tmp, "public")
	cmd := exec.Command("go", "run", "./cmd/imds", "site", "build", "-o", out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("%s: go run ./cmd/imds site build: %v\n%s", root, err, b)
	}
	return browsertest.ServeBuilt(out, root, tmp)
}
