package memfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"testing"
	"time"
)

func TestFS(t *testing.T) {
	f := New(func() time.Time { return time.Unix(0, 0) })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.MkdirAll("/root/a/b", 0o755))
	must(f.WriteFile("/root/a/b/x", []byte("1"), 0o644))
	if err := f.WriteFile("/nope/x", nil, 0o644); !errors.Is(err, fs.ErrNotExist) || err.Error() != "open /nope/x: No such file or directory" {
		t.Errorf("write into a missing directory: %v", err)
	}
	if _, err := f.ReadFile("/root/a"); err == nil || err.(*fs.PathError).Err != EISDIR {
		t.Errorf("reading a directory: %v", err)
	}
	if err := f.Remove("/root/a"); err == nil || err.(*fs.PathError).Err != ENOTEMPTY {
		t.Errorf("removing a non-empty directory: %v", err)
	}
	must(f.Rename("/root/a", "/root/c"))
	if b, err := f.ReadFile("/root/c/b/x"); err != nil || string(b) != "1" {
		t.Errorf("after rename: %q %v", b, err)
	}
	if err := f.Rename("/root/c", "/root/c/b/inside"); err == nil {
		t.Error("moving a directory into itself should fail")
	}
	w, err := f.OpenFile("/root/log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	must(err)
	io.WriteString(w, "a")
	io.WriteString(w, "b")
	w.Close()
	r, err := f.OpenFile("/root/log", os.O_RDONLY, 0)
	must(err)
	if b, _ := io.ReadAll(r); string(b) != "ab" {
		t.Errorf("appended %q", b)
	}
	if _, err := f.OpenFile("/root/log", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
		t.Error("O_EXCL on an existing file should fail")
	}
	if got := f.Files(); len(got) != 2 || got[0] != "/root/c/b/x" || got[1] != "/root/log" {
		t.Errorf("Files() = %v", got)
	}
	must(f.RemoveAll("/root/c"))
	if _, err := f.Stat("/root/c/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after RemoveAll: %v", err)
	}
	if Resolve("/root", "../etc/./x") != "/etc/x" || Resolve("/root", "/tmp/") != "/tmp" {
		t.Error("Resolve")
	}
}
