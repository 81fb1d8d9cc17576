package memfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
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
	if err := f.Rename("/", "/x"); err == nil || err.(*fs.PathError).Err != EBUSY {
		t.Errorf("moving the root: %v", err)
	}
	if _, err := f.Stat("/root/c/b/x"); err != nil {
		t.Errorf("after trying to move the root: %v", err)
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

func TestLimits(t *testing.T) {
	f := New(func() time.Time { return time.Unix(0, 0) })
	f.MkdirAll("/d", 0o755)
	f.SetLimits(10, 22)
	var refused []string
	f.OnLimit = func(p string, e *Errno) { refused = append(refused, p+": "+e.Error()) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fails := func(err error, want *Errno) {
		t.Helper()
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Err != want {
			t.Fatalf("got %v; want %v", err, want)
		}
	}
	must(f.WriteFile("/d/a", []byte("0123456789"), 0o644))
	fails(f.WriteFile("/d/b", []byte("0123456789x"), 0o644), EFBIG)
	must(f.WriteFile("/d/b", []byte("0123456789"), 0o644))
	if f.Size() != 20 {
		t.Fatalf("size %d; want 20", f.Size())
	}
	fails(f.WriteFile("/d/c", []byte("012345"), 0o644), ENOSPC)
	must(f.WriteFile("/d/a", []byte("01234"), 0o644)) // shrinking frees room
	must(f.WriteFile("/d/c", []byte("01234"), 0o644))

	// Appends through a handle, as `>>` does.
	w, err := f.OpenFile("/d/c", os.O_WRONLY|os.O_APPEND, 0)
	must(err)
	_, err = w.Write([]byte("56789"))
	fails(err, ENOSPC)
	f.Remove("/d/b")
	_, err = w.Write([]byte("56789"))
	must(err)
	_, err = w.Write([]byte("x"))
	fails(err, EFBIG)
	if f.Size() != 15 {
		t.Fatalf("size %d; want 15", f.Size())
	}
	// Truncating, renaming over a file and removing keep the count right.
	w, err = f.OpenFile("/d/c", os.O_WRONLY|os.O_TRUNC, 0)
	must(err)
	w.Write([]byte("abc"))
	must(f.Rename("/d/c", "/d/a"))
	if f.Size() != 3 {
		t.Fatalf("size %d after truncate and rename; want 3", f.Size())
	}
	must(f.RemoveAll("/d"))
	if f.Size() != 0 {
		t.Fatalf("size %d after RemoveAll; want 0", f.Size())
	}
	want := []string{"/d/b: File too large", "/d/c: No space left on device", "/d/c: No space left on device", "/d/c: File too large"}
	if strings.Join(refused, "\n") != strings.Join(want, "\n") {
		t.Errorf("OnLimit saw %q; want %q", refused, want)
	}
}
