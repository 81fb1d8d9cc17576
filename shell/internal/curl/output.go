package curl

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// meter prints curl's progress meter as it ends up on a terminal: curl shows it on standard
// error whenever the body does not go to the terminal (a pipe, $(…), -o), unless -s.
func (c *Client) meter(e *builtin.Env, o *opts, outName string, t *transfer, got int) {
	toTerminal := outName == "" && !o.remoteName && e.StdoutIsTerminal
	if o.silent || o.noMeter || toTerminal {
		return
	}
	var dlTotal, dlCur, ulTotal, ulCur int
	var elapsed time.Duration
	if t != nil {
		elapsed = t.elapsed
		if t.resp != nil {
			dlTotal, dlCur = len(t.body), got
			ulTotal, ulCur = len(t.reqBody), len(t.reqBody)
		}
	}
	pct := func(cur, total int) string {
		if total == 0 {
			return "  0"
		}
		return fmt.Sprintf("%3d", cur*100/total)
	}
	secs := max(elapsed.Seconds(), 0.001)
	speed := func(n int) string { return max5(int64(float64(n) / secs)) }
	spent := "--:--:--"
	if elapsed >= time.Second {
		spent = clock(elapsed)
	}
	fmt.Fprintln(e.Stderr, "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current")
	fmt.Fprintln(e.Stderr, "                                 Dload  Upload   Total   Spent    Left  Speed")
	fmt.Fprintf(e.Stderr, "%s %s  %s %s  %s %s  %s  %s %s %s %s %s\n",
		pct(dlCur+ulCur, dlTotal+ulTotal), max5(int64(dlTotal+ulTotal)),
		pct(dlCur, dlTotal), max5(int64(dlCur)),
		pct(ulCur, ulTotal), max5(int64(ulCur)),
		speed(dlCur), speed(ulCur),
		"--:--:--", spent, "--:--:--", speed(dlCur+ulCur))
}

// max5 renders a byte count in five columns the way curl's meter does.
func max5(n int64) string {
	const k, m = 1024, 1024 * 1024
	switch {
	case n < 100000:
		return fmt.Sprintf("%5d", n)
	case n < 10000*k:
		return fmt.Sprintf("%4dk", n/k)
	case n < 100*m:
		return fmt.Sprintf("%2d.%dM", n/m, (n%m)/(m/10))
	default:
		return fmt.Sprintf("%4dM", n/m)
	}
}

func clock(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%2d:%02d:%02d", s/3600, s/60%60, s%60)
}

// writeOut expands -w: %{variable}, %header{name}, %{stdout}/%{stderr} and \n-style escapes.
func (c *Client) writeOut(e *builtin.Env, o *opts, t *transfer, exit int) {
	f := o.writeOut
	if f == "" {
		return
	}
	if strings.HasPrefix(f, "@") {
		b, err := e.ReadFile(f[1:])
		if err != nil {
			return
		}
		f = string(b)
	}
	x := &expander{w: e.Stdout}
	for i := 0; i < len(f); i++ {
		ch := f[i]
		switch {
		case ch == '\\' && i+1 < len(f):
			i++
			if j := strings.IndexByte("nrt\\", f[i]); j >= 0 {
				x.b.WriteByte("\n\r\t\\"[j])
			} else {
				x.b.WriteString("\\" + string(f[i]))
			}
		case strings.HasPrefix(f[i:], "%%"):
			x.b.WriteByte('%')
			i++
		case strings.HasPrefix(f[i:], "%{"), strings.HasPrefix(f[i:], "%header{"):
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				x.b.WriteString(f[i:])
				i = len(f)
				continue
			}
			name := f[i+2 : i+end]
			if f[i+1] == 'h' {
				x.header(t, f[i+8:i+end])
			} else {
				c.expand(e, x, t, name, exit)
			}
			i += end
		default:
			x.b.WriteByte(ch)
		}
	}
	x.flush()
}

// expander collects -w's output for the stream it currently goes to.
type expander struct {
	w io.Writer
	b strings.Builder
}

func (x *expander) flush() {
	x.w.Write([]byte(x.b.String()))
	x.b.Reset()
}

// header is %header{name}: the response header's values.
func (x *expander) header(t *transfer, name string) {
	if t.resp != nil {
		x.b.WriteString(strings.Join(t.resp.Header.Values(name), ", "))
	}
}

// expand is %{name}: a variable, or a switch of stream.
func (c *Client) expand(e *builtin.Env, x *expander, t *transfer, name string, exit int) {
	switch name {
	case "stdout", "stderr":
		x.flush()
		x.w = map[string]io.Writer{"stdout": e.Stdout, "stderr": e.Stderr}[name]
		return
	}
	v, ok := c.variable(t, name, exit)
	if !ok {
		x.flush()
		fmt.Fprintf(e.Stderr, "curl: unknown --write-out variable: '%s'\n", name)
		return
	}
	x.b.WriteString(v)
}

func (c *Client) variable(t *transfer, name string, exit int) (string, bool) {
	secs := func(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }
	code := 0
	ctype := ""
	if t.resp != nil {
		code = t.code
		ctype = t.resp.Header.Get("Content-Type")
	}
	addr := ""
	if c.Addr != nil && t.url != nil {
		addr = c.Addr(t.url.Hostname())
	}
	switch name {
	case "http_code", "response_code":
		return fmt.Sprintf("%03d", code), true
	case "http_connect":
		return "000", true
	case "time_total", "time_starttransfer":
		return secs(t.elapsed), true
	case "time_namelookup", "time_connect", "time_appconnect", "time_pretransfer", "time_redirect":
		return secs(0), true
	case "size_download":
		return strconv.Itoa(len(t.body)), true
	case "size_upload", "size_request":
		return strconv.Itoa(len(t.reqBody)), true
	case "size_header":
		return strconv.Itoa(t.headerSz), true
	case "speed_download", "speed_upload":
		return "0", true
	case "content_type":
		return ctype, true
	case "url_effective", "url":
		if t.url == nil {
			return "", true
		}
		return t.url.String(), true
	case "exitcode":
		return strconv.Itoa(exit), true
	case "errormsg":
		return t.errMsg, true
	case "method":
		return t.method, true
	case "scheme":
		if t.url == nil {
			return "", true
		}
		return strings.ToUpper(t.url.Scheme), true
	case "num_redirects":
		return strconv.Itoa(t.redirs), true
	case "num_connects":
		if t.resp == nil {
			return "0", true
		}
		return "1", true
	case "remote_ip":
		return addr, true
	case "remote_port":
		if t.url == nil {
			return "", true
		}
		return portOf(t.url), true
	case "http_version":
		if t.resp == nil {
			return "0", true
		}
		return "1.1", true
	case "redirect_url":
		if t.resp != nil && t.code >= 300 && t.code < 400 && t.resp.Header.Get("Location") != "" {
			if u, err := t.url.Parse(t.resp.Header.Get("Location")); err == nil {
				return u.String(), true // resolved against the request's URL, as curl does
			}
		}
		return "", true
	}
	return "", false
}
