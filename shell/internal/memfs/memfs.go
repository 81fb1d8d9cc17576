// Package memfs is the shell's in-memory filesystem: one per session, so that `-out ./sslcert.csr`,
// `> token.txt` and `awk … sslcert.csr` share files without touching the real disk (there is none
// in the browser, and a playground must not write to the host's).
//
// Paths are slash-separated and absolute once resolved; callers resolve relative names against
// their working directory with Resolve. Errors are *fs.PathError values whose Err is an Errno, so
// that the message reads like the C library's ("No such file or directory") while errors.Is still
// matches fs.ErrNotExist and friends.
package memfs

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errno is an error with the C library's wording that also matches the io/fs sentinel errors.
type Errno struct {
	msg string
	is  error
}

func (e *Errno) Error() string { return e.msg }

// Is reports whether target is the io/fs sentinel this errno stands for.
func (e *Errno) Is(target error) bool { return e.is != nil && target == e.is }

// The errors the filesystem returns inside *fs.PathError.
var (
	ENOENT    = &Errno{"No such file or directory", fs.ErrNotExist}
	EEXIST    = &Errno{"File exists", fs.ErrExist}
	EISDIR    = &Errno{"Is a directory", nil}
	ENOTDIR   = &Errno{"Not a directory", nil}
	ENOTEMPTY = &Errno{"Directory not empty", nil}
	EINVAL    = &Errno{"Invalid argument", fs.ErrInvalid}
	EBUSY     = &Errno{"Device or resource busy", nil}
)

// Default bounds of a new FS (see SetLimits), so that `yes > f` cannot eat the browser's
// memory.
const (
	MaxFileSize  = 16 << 20
	MaxTotalSize = 64 << 20
)

// Errors of writes past the bounds: EFBIG when a file would grow past its bound, ENOSPC when
// all files together would.
var (
	EFBIG  = &Errno{"File too large", nil}
	ENOSPC = &Errno{"No space left on device", nil}
)

// FS is an in-memory tree of directories and regular files. It is safe for concurrent use
// (pipelines run their commands concurrently).
type FS struct {
	mu      sync.Mutex
	nodes   map[string]*node
	now     func() time.Time
	maxFile int64
	maxAll  int64
	total   int64 // bytes in all regular files
	// OnLimit, if set, is called (without the lock held) after a write is refused with EFBIG
	// or ENOSPC, with the file's path and the errno. The shell stops the running script there.
	OnLimit func(path string, err *Errno)
}

type node struct {
	dir  bool
	data []byte
	mode fs.FileMode
	mod  time.Time
	gone bool // removed or replaced while a handle may still write to it: no longer counted
}

// dropLocked removes n from the count of bytes.
func (f *FS) dropLocked(n *node) {
	f.total -= int64(len(n.data))
	n.gone = true
}

// New returns a filesystem holding only the root directory. now stamps modification times
// (nil: time.Now); pass the session's virtual clock.
func New(now func() time.Time) *FS {
	if now == nil {
		now = time.Now
	}
	f := &FS{nodes: map[string]*node{}, now: now, maxFile: MaxFileSize, maxAll: MaxTotalSize}
	f.nodes["/"] = &node{dir: true, mode: fs.ModeDir | 0o755, mod: now()}
	return f
}

// SetLimits bounds the size of one file and of all files together; a write past either fails
// (EFBIG, ENOSPC). Zero or negative means no bound.
func (f *FS) SetLimits(file, total int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maxFile, f.maxAll = file, total
}

// Size is the number of bytes in all regular files.
func (f *FS) Size() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// fitsLocked checks that a file growing from old to size bytes stays within the bounds.
func (f *FS) fitsLocked(old, size int64) *Errno {
	switch {
	case f.maxFile > 0 && size > f.maxFile:
		return EFBIG
	case f.maxAll > 0 && size > old && f.total+size-old > f.maxAll:
		return ENOSPC
	}
	return nil
}

// refused reports a write refused for its size to OnLimit and returns the error to return.
func (f *FS) refused(op, p string, e *Errno) error {
	if f.OnLimit != nil {
		f.OnLimit(p, e)
	}
	return perr(op, p, e)
}

// Resolve turns name into a clean absolute path, relative to dir when it is not absolute.
func Resolve(dir, name string) string {
	if name == "" {
		return path.Clean(dir)
	}
	if !strings.HasPrefix(name, "/") {
		name = path.Join(dir, name)
	}
	return path.Clean(name)
}

func perr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// parentOK reports whether the parent directory of p exists and is a directory; it must be
// called with the lock held.
func (f *FS) parentErr(p string) error {
	parent := path.Dir(p)
	n, ok := f.nodes[parent]
	if !ok {
		return ENOENT
	}
	if !n.dir {
		return ENOTDIR
	}
	return nil
}

// MkdirAll creates p and any missing parents, like mkdir -p.
func (f *FS) MkdirAll(p string, perm fs.FileMode) error {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []string
	for q := p; ; q = path.Dir(q) {
		if n, ok := f.nodes[q]; ok {
			if !n.dir {
				return perr("mkdir", p, ENOTDIR)
			}
			break
		}
		missing = append(missing, q)
		if q == "/" {
			break
		}
	}
	for _, q := range slices.Backward(missing) {
		f.nodes[q] = &node{dir: true, mode: fs.ModeDir | perm.Perm(), mod: f.now()}
	}
	return nil
}

// Mkdir creates the single directory p.
func (f *FS) Mkdir(p string, perm fs.FileMode) error {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nodes[p]; ok {
		return perr("mkdir", p, EEXIST)
	}
	if err := f.parentErr(p); err != nil {
		return perr("mkdir", p, err)
	}
	f.nodes[p] = &node{dir: true, mode: fs.ModeDir | perm.Perm(), mod: f.now()}
	return nil
}

// ReadFile returns a copy of the contents of the regular file p.
func (f *FS) ReadFile(p string) ([]byte, error) {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[p]
	if !ok {
		if err := f.parentErr(p); err == ENOTDIR {
			return nil, perr("open", p, ENOTDIR)
		}
		return nil, perr("open", p, ENOENT)
	}
	if n.dir {
		return nil, perr("read", p, EISDIR)
	}
	return bytes.Clone(n.data), nil
}

// WriteFile replaces (or creates) the regular file p; its parent directory must exist.
func (f *FS) WriteFile(p string, data []byte, perm fs.FileMode) error {
	p = path.Clean(p)
	f.mu.Lock()
	n, ok := f.nodes[p]
	var old int64
	switch {
	case ok && n.dir:
		f.mu.Unlock()
		return perr("open", p, EISDIR)
	case ok:
		old = int64(len(n.data))
	default:
		if err := f.parentErr(p); err != nil {
			f.mu.Unlock()
			return perr("open", p, err)
		}
	}
	if e := f.fitsLocked(old, int64(len(data))); e != nil {
		f.mu.Unlock()
		return f.refused("write", p, e)
	}
	defer f.mu.Unlock()
	f.total += int64(len(data)) - old
	if ok {
		n.data = bytes.Clone(data)
		n.mod = f.now()
		return nil
	}
	f.nodes[p] = &node{data: bytes.Clone(data), mode: perm.Perm(), mod: f.now()}
	return nil
}

// Stat describes p.
func (f *FS) Stat(p string) (fs.FileInfo, error) {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[p]
	if !ok {
		return nil, perr("stat", p, ENOENT)
	}
	return info(p, n), nil
}

// Chmod changes the permission bits of p.
func (f *FS) Chmod(p string, mode fs.FileMode) error {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[p]
	if !ok {
		return perr("chmod", p, ENOENT)
	}
	n.mode = n.mode&fs.ModeType | mode.Perm()
	return nil
}

// Touch creates an empty file at p or updates its modification time.
func (f *FS) Touch(p string) error {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.nodes[p]; ok {
		n.mod = f.now()
		return nil
	}
	if err := f.parentErr(p); err != nil {
		return perr("touch", p, err)
	}
	f.nodes[p] = &node{mode: 0o644, mod: f.now()}
	return nil
}

// ReadDir lists the directory p sorted by name.
func (f *FS) ReadDir(p string) ([]fs.DirEntry, error) {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[p]
	if !ok {
		return nil, perr("open", p, ENOENT)
	}
	if !n.dir {
		return nil, perr("readdir", p, ENOTDIR)
	}
	// Sorting the paths rather than the entries reuses the wasm's string sort: a sort of an
	// interface slice is its own instantiation there (~19 KB of code).
	var names []string
	for q := range f.nodes {
		if q != "/" && path.Dir(q) == p {
			names = append(names, q)
		}
	}
	slices.Sort(names)
	out := make([]fs.DirEntry, len(names))
	for i, q := range names {
		out[i] = fs.FileInfoToDirEntry(info(q, f.nodes[q]))
	}
	return out, nil
}

// Remove deletes the file or empty directory p.
func (f *FS) Remove(p string) error {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[p]
	if !ok {
		return perr("remove", p, ENOENT)
	}
	if p == "/" {
		return perr("remove", p, EINVAL)
	}
	if n.dir {
		for q := range f.nodes {
			if q != p && strings.HasPrefix(q, p+"/") {
				return perr("remove", p, ENOTEMPTY)
			}
		}
	}
	f.dropLocked(n)
	delete(f.nodes, p)
	return nil
}

// RemoveAll deletes p and everything below it; a missing p is not an error.
func (f *FS) RemoveAll(p string) error {
	p = path.Clean(p)
	if p == "/" {
		return perr("remove", p, EINVAL)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for q, n := range f.nodes {
		if q == p || strings.HasPrefix(q, p+"/") {
			f.dropLocked(n)
			delete(f.nodes, q)
		}
	}
	return nil
}

// Rename moves oldp (and, for a directory, everything below it) to newp.
func (f *FS) Rename(oldp, newp string) error {
	oldp, newp = path.Clean(oldp), path.Clean(newp)
	f.mu.Lock()
	defer f.mu.Unlock()
	if oldp == "/" || newp == "/" {
		// Moving the root (`mv / /x`) would leave a tree without one.
		return perr("rename", oldp, EBUSY)
	}
	n, ok := f.nodes[oldp]
	if !ok {
		return perr("rename", oldp, ENOENT)
	}
	if err := f.parentErr(newp); err != nil {
		return perr("rename", newp, err)
	}
	if t, ok := f.nodes[newp]; ok && t.dir != n.dir {
		if t.dir {
			return perr("rename", newp, EISDIR)
		}
		return perr("rename", newp, ENOTDIR)
	}
	if n.dir && strings.HasPrefix(newp, oldp+"/") {
		return perr("rename", newp, EINVAL)
	}
	moved := map[string]*node{}
	for q, c := range f.nodes {
		if q == oldp || strings.HasPrefix(q, oldp+"/") {
			moved[newp+strings.TrimPrefix(q, oldp)] = c
			delete(f.nodes, q)
		}
	}
	for q, c := range moved {
		if old, ok := f.nodes[q]; ok {
			f.dropLocked(old) // replaced
		}
		f.nodes[q] = c
	}
	return nil
}

// Files lists the absolute paths of all regular files, sorted.
func (f *FS) Files() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for q, n := range f.nodes {
		if !n.dir {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out
}

// OpenFile opens p with os.O_* flags, as a shell redirection does. Writes go to the file when the
// returned handle is closed or written (each Write updates the stored contents, so a concurrent
// reader of a pipeline sees them).
func (f *FS) OpenFile(p string, flag int, perm fs.FileMode) (io.ReadWriteCloser, error) {
	p = path.Clean(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[p]
	switch {
	case !ok && flag&os.O_CREATE == 0:
		if err := f.parentErr(p); err == ENOTDIR {
			return nil, perr("open", p, ENOTDIR)
		}
		return nil, perr("open", p, ENOENT)
	case !ok:
		if err := f.parentErr(p); err != nil {
			return nil, perr("open", p, err)
		}
		n = &node{mode: perm.Perm(), mod: f.now()}
		f.nodes[p] = n
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, perr("open", p, EEXIST)
	case n.dir && flag&(os.O_WRONLY|os.O_RDWR) != 0:
		return nil, perr("open", p, EISDIR)
	case n.dir:
		return nil, perr("read", p, EISDIR)
	}
	if flag&os.O_TRUNC != 0 {
		if !n.gone {
			f.total -= int64(len(n.data))
		}
		n.data = nil
		n.mod = f.now()
	}
	h := &handle{fs: f, n: n, name: p, flag: flag}
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		h.rd = bytes.NewReader(bytes.Clone(n.data))
	}
	return h, nil
}

type handle struct {
	fs   *FS
	n    *node
	name string
	flag int
	rd   *bytes.Reader
}

func (h *handle) Read(p []byte) (int, error) {
	if h.rd == nil {
		return 0, perr("read", h.name, &Errno{"Bad file descriptor", nil})
	}
	return h.rd.Read(p)
}

func (h *handle) Write(p []byte) (int, error) {
	if h.flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return 0, perr("write", h.name, &Errno{"Bad file descriptor", nil})
	}
	f := h.fs
	f.mu.Lock()
	old := int64(len(h.n.data))
	if e := f.fitsLocked(old, old+int64(len(p))); e != nil {
		f.mu.Unlock()
		return 0, f.refused("write", h.name, e)
	}
	defer f.mu.Unlock()
	// Redirections either truncate or append, and nobody seeks, so every write appends.
	h.n.data = append(h.n.data, p...)
	h.n.mod = f.now()
	if !h.n.gone {
		f.total += int64(len(p))
	}
	return len(p), nil
}

func (h *handle) Close() error { return nil }

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
}

func info(p string, n *node) fs.FileInfo {
	return &fileInfo{name: path.Base(p), size: int64(len(n.data)), mode: n.mode, mod: n.mod}
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) Mode() fs.FileMode  { return i.mode }
func (i *fileInfo) ModTime() time.Time { return i.mod }
func (i *fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *fileInfo) Sys() any           { return nil }
