package coreutils

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// inputs calls fn with the contents of each operand (standard input when there is none),
// reporting unreadable files GNU-style; it returns 1 if any failed.
func inputs(e *builtin.Env, files []string, fn func(name string, data []byte) bool) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, f := range files {
		if e.Cancelled() {
			return 130
		}
		data, err := e.ReadFile(f)
		if err != nil {
			e.FileError(f, err)
			status = 1
			continue
		}
		if !fn(f, data) {
			return 1
		}
	}
	return status
}

func cat(e *builtin.Env) int {
	var number, ends bool
	files, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'n', Long: "number", Flag: builtin.Set(&number)}, {Short: 'E', Long: "show-ends", Flag: builtin.Set(&ends)},
		{Short: 'u', Flag: builtin.Ignore},
	}, builtin.Refused("A/show-all b/number-nonblank e s/squeeze-blank t T/show-tabs v/show-nonprinting")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	n := 0
	return inputs(e, files, func(_ string, data []byte) bool {
		if !number && !ends {
			_, err := e.Stdout.Write(data)
			return err == nil
		}
		var b strings.Builder
		for _, line := range splitKeep(string(data)) {
			body, nl := strings.CutSuffix(line, "\n")
			if number {
				n++
				fmt.Fprintf(&b, "%6d\t", n)
			}
			b.WriteString(body)
			if ends && nl {
				b.WriteString("$")
			}
			if nl {
				b.WriteString("\n")
			}
		}
		_, err := e.Stdout.Write([]byte(b.String()))
		return err == nil
	})
}

// splitKeep splits s into lines that keep their trailing newline.
func splitKeep(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// lines splits s into lines without their newlines; a final line without a newline counts.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func tee(e *builtin.Env) int {
	var appendMode bool
	files, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'a', Long: "append", Flag: builtin.Set(&appendMode)},
		{Short: 'i', Long: "ignore-interrupts", Flag: builtin.Ignore},
	}, builtin.Refused("p/output-error")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	data, _ := e.ReadStdin()
	status := 0
	if _, err := e.Stdout.Write(data); err != nil {
		status = 1
	}
	for _, f := range files {
		out := data
		if appendMode {
			old, err := e.FS.ReadFile(e.Path(f))
			if err == nil {
				out = append(old, data...)
			}
		}
		if err := e.WriteFile(f, out, 0o644); err != nil {
			e.FileError(f, err)
			status = 1
		}
	}
	return status
}

// lsOptions is one ls command line.
type lsOptions struct {
	long, all, almostAll, one bool
}

func ls(o Options) builtin.Func {
	return func(e *builtin.Env) int {
		lo := lsOptions{one: !e.StdoutIsTerminal}
		names, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
			{Short: 'l', Flag: builtin.Set(&lo.long)}, {Short: 'a', Long: "all", Flag: builtin.Set(&lo.all)},
			{Short: 'A', Long: "almost-all", Flag: builtin.Set(&lo.almostAll)}, {Short: '1', Flag: builtin.Set(&lo.one)},
			{Short: 'h', Long: "human-readable", Flag: builtin.Ignore},
		}, builtin.Refused("d/directory R/recursive t S r/reverse")...), e.Args[1:])
		if err != nil {
			return e.Usage(err, 2)
		}
		if len(names) == 0 {
			names = []string{"."}
		}
		// As GNU ls: the operands that do not exist are reported first, then the files are
		// listed together, then each directory under its name when there are several operands.
		status := 0
		var files []fs.FileInfo
		var dirs []string
		for _, n := range names {
			fi, err := e.FS.Stat(e.Path(n))
			switch {
			case err != nil:
				fmt.Fprintf(e.Stderr, "ls: cannot access '%s': %s\n", n, builtin.Reason(err))
				status = 2
			case fi.IsDir():
				dirs = append(dirs, n)
			default:
				files = append(files, named{fi, n})
			}
		}
		slices.SortStableFunc(files, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
		slices.Sort(dirs)
		var out strings.Builder
		lo.write(&out, files, o.User)
		for i, n := range dirs {
			if len(names) > 1 {
				if i > 0 || len(files) > 0 {
					out.WriteString("\n")
				}
				fmt.Fprintf(&out, "%s:\n", n)
			}
			lo.write(&out, lo.dir(e, &out, e.Path(n)), o.User)
		}
		e.Stdout.Write([]byte(out.String()))
		return status
	}
}

// dir lists a directory's entries, and with -l writes the "total" line first.
func (lo lsOptions) dir(e *builtin.Env, out *strings.Builder, p string) []fs.FileInfo {
	var infos []fs.FileInfo
	if lo.all {
		// -a lists the directory itself and its parent first, as every directory has them.
		for _, n := range []string{".", ".."} {
			if fi, err := e.FS.Stat(path.Join(p, n)); err == nil {
				infos = append(infos, named{fi, n})
			}
		}
	}
	ents, _ := e.FS.ReadDir(p)
	for _, d := range ents {
		if !lo.all && !lo.almostAll && strings.HasPrefix(d.Name(), ".") {
			continue
		}
		inf, _ := d.Info()
		infos = append(infos, inf)
	}
	if lo.long {
		var total int64
		for _, inf := range infos {
			total += (inf.Size() + 4095) / 4096 * 4
		}
		fmt.Fprintf(out, "total %d\n", total)
	}
	return infos
}

// write lists infos in the long or the short format.
func (lo lsOptions) write(out *strings.Builder, infos []fs.FileInfo, user string) {
	var short []string
	for _, inf := range infos {
		if !lo.long {
			short = append(short, inf.Name())
			continue
		}
		size := inf.Size()
		if inf.IsDir() {
			size = 4096
		}
		// Mode().String() is "drwxr-xr-x" for a directory already.
		fmt.Fprintf(out, "%s 1 %s %s %5d %s %s\n", inf.Mode().String(), user, user, size,
			inf.ModTime().UTC().Format("Jan _2 15:04"), inf.Name())
	}
	if len(short) > 0 {
		sep := "  "
		if lo.one {
			sep = "\n"
		}
		out.WriteString(strings.Join(short, sep) + "\n")
	}
}

type named struct {
	fs.FileInfo
	name string
}

func (n named) Name() string { return n.name }

func rm(e *builtin.Env) int {
	var recursive, force bool
	files, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'r', Long: "recursive", Flag: builtin.Set(&recursive)}, {Short: 'R', Flag: builtin.Set(&recursive)},
		{Short: 'f', Long: "force", Flag: builtin.Set(&force)},
	}, builtin.Refused("v/verbose i d/dir")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(files) == 0 && !force {
		return e.UsageErrorf(1, "missing operand")
	}
	status := 0
	for _, f := range files {
		p := e.Path(f)
		fi, err := e.FS.Stat(p)
		if err != nil {
			if !force {
				fmt.Fprintf(e.Stderr, "rm: cannot remove '%s': No such file or directory\n", f)
				status = 1
			}
			continue
		}
		if fi.IsDir() && !recursive {
			fmt.Fprintf(e.Stderr, "rm: cannot remove '%s': Is a directory\n", f)
			status = 1
			continue
		}
		if err := e.FS.RemoveAll(p); err != nil {
			fmt.Fprintf(e.Stderr, "rm: cannot remove '%s': %s\n", f, builtin.Reason(err))
			status = 1
		}
	}
	return status
}

func mkdir(e *builtin.Env) int {
	var parents bool
	dirs, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'p', Long: "parents", Flag: builtin.Set(&parents)},
	}, builtin.Refused("v/verbose m/mode")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(dirs) == 0 {
		return e.UsageErrorf(1, "missing operand")
	}
	status := 0
	for _, d := range dirs {
		var err error
		if parents {
			err = e.FS.MkdirAll(e.Path(d), 0o755)
		} else {
			err = e.FS.Mkdir(e.Path(d), 0o755)
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "mkdir: cannot create directory '%s': %s\n", d, builtin.Reason(err))
			status = 1
		}
	}
	return status
}

func touch(e *builtin.Env) int {
	files, err := builtin.Parse(builtin.GNU, append([]builtin.Option{{Short: 'm', Flag: builtin.Ignore}, {Short: 'a', Flag: builtin.Ignore}}, builtin.Refused("c/no-create d/date t")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(files) == 0 {
		return e.UsageErrorf(1, "missing file operand")
	}
	status := 0
	for _, f := range files {
		if err := e.FS.Touch(e.Path(f)); err != nil {
			fmt.Fprintf(e.Stderr, "touch: cannot touch '%s': %s\n", f, builtin.Reason(err))
			status = 1
		}
	}
	return status
}

// target resolves the destination of cp/mv: into a directory when dst is one.
func target(e *builtin.Env, src, dst string) string {
	p := e.Path(dst)
	if fi, err := e.FS.Stat(p); err == nil && fi.IsDir() {
		return path.Join(p, path.Base(e.Path(src)))
	}
	return p
}

func cp(e *builtin.Env) int {
	args, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'f', Long: "force", Flag: builtin.Ignore}, {Short: 'p', Flag: builtin.Ignore},
	}, builtin.Refused("v/verbose r/recursive R a/archive")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	return toTarget(e, args, func(src, dst string) bool {
		data, err := e.ReadFile(src)
		if err != nil {
			fmt.Fprintf(e.Stderr, "cp: cannot stat '%s': %s\n", src, builtin.Reason(err))
			return false
		}
		if err := e.FS.WriteFile(target(e, src, dst), data, 0o644); err != nil {
			fmt.Fprintf(e.Stderr, "cp: cannot create regular file '%s': %s\n", dst, builtin.Reason(err))
			return false
		}
		return true
	})
}

// toTarget is cp's and mv's loop: op runs for each source with the last operand, the
// destination; the status is 1 if any failed.
func toTarget(e *builtin.Env, args []string, op func(src, dst string) bool) int {
	if len(args) < 2 {
		return missingFile(e, args)
	}
	dst := args[len(args)-1]
	status := 0
	for _, src := range args[:len(args)-1] {
		if !op(src, dst) {
			status = 1
		}
	}
	return status
}

func mv(e *builtin.Env) int {
	args, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'f', Long: "force", Flag: builtin.Ignore},
	}, builtin.Refused("v/verbose n/no-clobber i/interactive")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	return toTarget(e, args, func(src, dst string) bool {
		if err := e.FS.Rename(e.Path(src), target(e, src, dst)); err != nil {
			fmt.Fprintf(e.Stderr, "mv: cannot move '%s' to '%s': %s\n", src, dst, builtin.Reason(err))
			return false
		}
		return true
	})
}

// missingFile is cp's and mv's complaint about too few operands.
func missingFile(e *builtin.Env, args []string) int {
	if len(args) == 1 {
		return e.UsageErrorf(1, "missing destination file operand after '%s'", args[0])
	}
	return e.UsageErrorf(1, "missing file operand")
}

func chmod(e *builtin.Env) int {
	args := e.Args[1:]
	if len(args) < 2 {
		return e.UsageErrorf(1, "missing operand")
	}
	mode, err := strconv.ParseUint(args[0], 8, 32)
	status := 0
	for _, f := range args[1:] {
		p := e.Path(f)
		fi, serr := e.FS.Stat(p)
		if serr != nil {
			fmt.Fprintf(e.Stderr, "chmod: cannot access '%s': No such file or directory\n", f)
			status = 1
			continue
		}
		m := fi.Mode().Perm()
		if err == nil {
			m = fs.FileMode(mode)
		} else {
			m = symbolicMode(m, args[0])
		}
		e.FS.Chmod(p, m)
	}
	return status
}

// symbolicMode applies a chmod expression such as u+x or go-rwx.
func symbolicMode(m fs.FileMode, expr string) fs.FileMode {
	for _, clause := range strings.Split(expr, ",") {
		i := strings.IndexAny(clause, "+-=")
		if i < 0 {
			continue
		}
		who, op, perms := clause[:i], clause[i], clause[i+1:]
		if who == "" || who == "a" {
			who = "ugo"
		}
		var bits fs.FileMode
		for _, w := range who {
			shift := map[rune]uint{'u': 6, 'g': 3, 'o': 0}[w]
			for _, p := range perms {
				switch p {
				case 'r':
					bits |= 4 << shift
				case 'w':
					bits |= 2 << shift
				case 'x':
					bits |= 1 << shift
				}
			}
		}
		switch op {
		case '+':
			m |= bits
		case '-':
			m &^= bits
		case '=':
			m = bits
		}
	}
	return m
}

func basename(e *builtin.Env) int {
	args := e.Args[1:]
	if len(args) == 0 {
		return e.UsageErrorf(1, "missing operand")
	}
	b := path.Base(args[0])
	if len(args) > 1 && b != args[1] {
		b = strings.TrimSuffix(b, args[1])
	}
	return writeLine(e, b)
}

func dirname(e *builtin.Env) int {
	args := e.Args[1:]
	if len(args) == 0 {
		return e.UsageErrorf(1, "missing operand")
	}
	for _, a := range args {
		writeLine(e, path.Dir(a))
	}
	return 0
}
