package wasmdata

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module assembles a binary module from (id, body) sections.
func module(secs ...section) []byte {
	b := slices.Clone(magic)
	for _, s := range secs {
		b = append(b, s.id)
		b = appendULEB(b, uint64(len(s.body)))
		b = append(b, s.body...)
	}
	return b
}

// image is the memory segs leave: its non-zero bytes by address.
func image(segs []Segment) map[uint64]byte {
	m := map[uint64]byte{}
	for _, s := range segs {
		for i, c := range s.Data {
			if c == 0 {
				delete(m, uint64(s.Offset)+uint64(i))
			} else {
				m[uint64(s.Offset)+uint64(i)] = c
			}
		}
	}
	return m
}

func TestMergeSynthetic(t *testing.T) {
	far := uint32(200 + 5 + SplitZeros) // after a run of exactly SplitZeros zeros
	segs := []Segment{
		{Offset: 100, Data: []byte("abc")},
		{Offset: 110, Data: []byte("defgh")},      // 7 zeros after "abc": one segment with it
		{Offset: 112, Data: []byte("XY")},         // overlaps the one before, and wins
		{Offset: 200, Data: []byte{0, 0, 'z', 0}}, // zeros at both ends are dropped
		{Offset: far, Data: []byte("far")},
		{Offset: far + 10, Data: make([]byte, 8)}, // only zeros: nothing to write
		{Offset: 1 << 31, Data: []byte("high")},   // a negative i32.const
	}
	custom := section{id: 0, body: append([]byte{4}, "name\x01\x02\x03"...)}
	typ := section{id: 1, body: []byte{1, 0x60, 0, 0}}
	in := module(typ, custom, section{id: sectionData, body: encodeData(segs)}, section{id: sectionDataCount, body: []byte{7}}, custom)

	out, err := Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DataSegments(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []Segment{
		{Offset: 100, Data: slices.Concat([]byte("abc"), make([]byte, 7), []byte("deXYh"), make([]byte, 202-115), []byte("z"))},
		{Offset: far, Data: []byte("far")},
		{Offset: 1 << 31, Data: []byte("high")},
	}
	if len(got) != len(want) {
		t.Fatalf("Merge wrote %d segments, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Offset != want[i].Offset || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("segment %d = %d %q, want %d %q", i, got[i].Offset, got[i].Data, want[i].Offset, want[i].Data)
		}
	}
	if !maps.Equal(image(got), image(segs)) {
		t.Error("the merged segments leave another memory than the original ones")
	}

	secs, err := sections(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 5 || !bytes.Equal(secs[0].body, typ.body) || !bytes.Equal(secs[1].body, custom.body) || !bytes.Equal(secs[4].body, custom.body) {
		t.Errorf("the sections other than data were not copied as they were: %v", secs)
	}
	if secs[3].id != sectionDataCount || !bytes.Equal(secs[3].body, []byte{3}) {
		t.Errorf("data count section = %v, want the new count, 3", secs[3])
	}
}

func TestMergeSplitsOnlyAtLongZeroRuns(t *testing.T) {
	for _, gap := range []int{SplitZeros - 1, SplitZeros} {
		segs := []Segment{{Offset: 8, Data: []byte("a")}, {Offset: uint32(9 + gap), Data: []byte("b")}}
		out, err := Merge(module(section{id: sectionData, body: encodeData(segs)}))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := DataSegments(out)
		if want := map[bool]int{true: 2, false: 1}[gap >= SplitZeros]; len(got) != want {
			t.Errorf("a gap of %d zeros: %d segments, want %d", gap, len(got), want)
		}
		if !maps.Equal(image(got), image(segs)) {
			t.Errorf("a gap of %d zeros: the memory changed", gap)
		}
	}
}

func TestMergeRefuses(t *testing.T) {
	for name, in := range map[string][]byte{
		"not wasm":        []byte("\x00asm\x02\x00\x00\x00"),
		"short section":   module(section{id: 1, body: []byte{1, 2, 3}})[:11],
		"passive segment": module(section{id: sectionData, body: []byte{1, 1, 1, 'a'}}),
		"global offset":   module(section{id: sectionData, body: []byte{1, 0, 0x23, 0, opEnd, 1, 'a'}}),
		"two-op offset":   module(section{id: sectionData, body: []byte{1, 0, opI32Const, 0, opI32Const, 0, opEnd, 1, 'a'}}),
		"data past end":   module(section{id: sectionData, body: []byte{1, 0, opI32Const, 0, opEnd, 5, 'a'}}),
		"trailing bytes":  module(section{id: sectionData, body: []byte{0, 0}}),
		"huge count":      module(section{id: sectionData, body: []byte{0xff, 0xff, 0xff, 0xff, 0x7f}}),
		"count too large": module(section{id: sectionData, body: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x01}}),
	} {
		if _, err := Merge(in); err == nil {
			t.Errorf("%s: Merge accepted it", name)
		}
	}
}

// FuzzMerge checks that Merge never panics and, whenever it accepts a module, writes the same
// memory with segments that hold no run of SplitZeros zeros.
func FuzzMerge(f *testing.F) {
	f.Add(encodeData([]Segment{{Offset: 1, Data: []byte("ab")}, {Offset: 2, Data: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 'c'}}}))
	f.Add(encodeData([]Segment{{Offset: 1 << 20, Data: []byte("x")}, {Offset: 0, Data: []byte("y")}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := module(section{id: sectionData, body: data})
		before, err := DataSegments(in)
		if err != nil {
			return
		}
		out, err := Merge(in)
		if err != nil {
			t.Fatalf("Merge refused what it decoded: %v", err)
		}
		after, err := DataSegments(out)
		if err != nil {
			t.Fatalf("Merge wrote a data section it cannot read: %v", err)
		}
		if !maps.Equal(image(after), image(before)) {
			t.Fatal("the memory changed")
		}
		for _, s := range after {
			if len(s.Data) == 0 || s.Data[0] == 0 || s.Data[len(s.Data)-1] == 0 || bytes.Contains(s.Data, make([]byte, SplitZeros)) {
				t.Fatalf("segment at %d holds zeros it should not: %d bytes", s.Offset, len(s.Data))
			}
		}
	})
}

// TestMergeGoProgram compiles a Go program for js/wasm, merges its data segments and runs both
// modules under node, Go's own js/wasm runner: they must print the same, and V8 must give both
// the same initial memory.
func TestMergeGoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program for js/wasm")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the js/wasm run is skipped")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", orig, "./testdata/prog")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged.wasm")
	if err := os.WriteFile(merged, out, 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := DataSegments(in)
	after, _ := DataSegments(out)
	if len(before) < 100 || len(after) > 4 {
		t.Errorf("%d data segments before, %d after: want the linker's many merged into a few", len(before), len(after))
	}

	runner := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec_node.js")
	run := func(wasm string) string {
		out, err := exec.Command(node, runner, wasm).CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", filepath.Base(wasm), err, out)
		}
		return string(out)
	}
	want, got := run(orig), run(merged)
	if got != want || !strings.Contains(want, "upper: ") {
		t.Errorf("the merged module printed\n%s\nthe linker's printed\n%s", got, want)
	}

	// Instantiate both with stub imports (nothing runs) and compare their memories.
	const compare = `
const fs = require("fs");
function memory(file) {
	const mod = new WebAssembly.Module(fs.readFileSync(file));
	const imports = {};
	for (const imp of WebAssembly.Module.imports(mod)) (imports[imp.module] ??= {})[imp.name] = () => {};
	return Buffer.from(new WebAssembly.Instance(mod, imports).exports.mem.buffer);
}
const a = memory(process.argv[1]), b = memory(process.argv[2]);
console.log(a.length > 0 && a.equals(b) ? "same memory" : "different memories: " + a.length + " " + b.length);
`
	res, err := exec.Command(node, "-e", compare, orig, merged).CombinedOutput()
	if err != nil || strings.TrimSpace(string(res)) != "same memory" {
		t.Errorf("node: %v: %s", err, res)
	}
}
