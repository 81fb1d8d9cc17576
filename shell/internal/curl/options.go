package curl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// opts is one curl command line, parsed.
type opts struct {
	urls        []string
	method      string
	headers     []string
	data        []dataArg
	get         bool // -G: data goes into the query
	head        bool // -I
	include     bool // -i
	verbose     bool
	silent      bool
	noMeter     bool // --no-progress-meter
	showErr     bool // -S
	fail        int  // 0, 1 (--fail), 2 (--fail-with-body)
	insecure    bool
	cacert      string
	output      []string
	remoteName  bool // -O
	writeOut    string
	connTimeout time.Duration
	maxTime     time.Duration
	follow      bool
	maxRedirs   int // -1: no limit
	user        string
	userAgent   *string
	jsonBody    bool
	dumpHeader  string
	referer     string
	help        bool
	version     bool
}

type dataKind int

const (
	dataASCII     dataKind = iota // -d, --data: @file with CR/LF stripped
	dataBinary                    // --data-binary: @file kept as is
	dataRaw                       // --data-raw: no @
	dataURLEncode                 // --data-urlencode
	dataJSON                      // --json
)

type dataArg struct {
	kind  dataKind
	value string
}

// usageError is a command-line problem; curl prints it and exits with status 2.
type usageError string

func (u usageError) Error() string { return string(u) }

// seconds parses the value of -m or --connect-timeout, a number of seconds that may have a
// fraction. A value beyond
// what a time.Duration holds (some 292 years) is clamped to it: converting it as is would
// overflow to a negative duration, and the timeout would silently vanish.
func seconds(v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || f > float64(math.MaxInt64)/1000: // LONG_MAX ms
		return 0, errors.New("too large number")
	case err != nil || f < 0 || math.IsNaN(f):
		return 0, errors.New("expected a proper numerical parameter")
	case f >= float64(math.MaxInt64)/float64(time.Second):
		return math.MaxInt64, nil
	}
	return time.Duration(f * float64(time.Second)), nil
}

// table is curl's option table: adding a flag is one entry. Options curl has whose effect
// the emulator has no use for are accepted and do nothing (ignored); options it does not
// implement are refused with curl's own words for an option libcurl cannot do.
func (o *opts) table() []builtin.Option {
	data := func(kind dataKind) func(string) error {
		return func(v string) error {
			o.data = append(o.data, dataArg{kind, v})
			o.jsonBody = o.jsonBody || kind == dataJSON
			return nil
		}
	}
	timeout := func(d *time.Duration) func(string) error {
		return func(v string) (err error) { *d, err = seconds(v); return err }
	}
	t := []builtin.Option{
		{Short: 'X', Long: "request", Value: builtin.Str(&o.method)},
		{Short: 'H', Long: "header", Value: builtin.Add(&o.headers)},
		{Short: 'd', Long: "data", Value: data(dataASCII)}, {Long: "data-ascii", Value: data(dataASCII)},
		{Long: "data-raw", Value: data(dataRaw)}, {Long: "data-binary", Value: data(dataBinary)},
		{Long: "data-urlencode", Value: data(dataURLEncode)}, {Long: "json", Value: data(dataJSON)},
		{Short: 'G', Long: "get", Flag: builtin.Set(&o.get)}, {Short: 'I', Long: "head", Flag: builtin.Set(&o.head)},
		{Short: 'i', Long: "include", Flag: builtin.Set(&o.include)}, {Short: 'v', Long: "verbose", Flag: builtin.Set(&o.verbose)},
		{Short: 's', Long: "silent", Flag: builtin.Set(&o.silent)}, {Long: "no-progress-meter", Flag: builtin.Set(&o.noMeter)},
		{Short: 'S', Long: "show-error", Flag: builtin.Set(&o.showErr)},
		{Short: 'f', Long: "fail", Flag: func() { o.fail = 1 }}, {Long: "fail-with-body", Flag: func() { o.fail = 2 }},
		{Short: 'k', Long: "insecure", Flag: builtin.Set(&o.insecure)}, {Long: "cacert", Value: builtin.Str(&o.cacert)},
		{Short: 'o', Long: "output", Value: builtin.Add(&o.output)}, {Short: 'O', Long: "remote-name", Flag: builtin.Set(&o.remoteName)},
		{Short: 'w', Long: "write-out", Value: builtin.Str(&o.writeOut)},
		{Long: "connect-timeout", Value: timeout(&o.connTimeout)}, {Short: 'm', Long: "max-time", Value: timeout(&o.maxTime)},
		{Short: 'L', Long: "location", Flag: builtin.Set(&o.follow)}, {Long: "location-trusted", Flag: builtin.Set(&o.follow)},
		{Long: "max-redirs", Value: func(v string) error {
			// -1 means no limit; below that curl refuses the number.
			n, err := strconv.Atoi(v)
			if err != nil || n < -1 {
				return errors.New("expected a proper numerical parameter")
			}
			o.maxRedirs = n
			return nil
		}},
		{Short: 'u', Long: "user", Value: builtin.Str(&o.user)},
		{Short: 'A', Long: "user-agent", Value: func(v string) error { o.userAgent = &v; return nil }},
		{Long: "url", Value: builtin.Add(&o.urls)}, {Short: 'D', Long: "dump-header", Value: builtin.Str(&o.dumpHeader)},
		{Short: 'e', Long: "referer", Value: builtin.Str(&o.referer)},
		{Short: 'h', Long: "help", Flag: builtin.Set(&o.help)}, {Short: 'V', Long: "version", Flag: builtin.Set(&o.version)},
		// Accepted and without effect here: the in-process network has no compression, proxy,
		// IP version, keep-alive or TLS version to choose.
		{Long: "capath", Value: builtin.IgnoreValue}, {Long: "noproxy", Value: builtin.IgnoreValue}, {Long: "keepalive-time", Value: builtin.IgnoreValue},
	}
	t = append(t, builtin.Flags("compressed http1.1 http2 4/ipv4 6/ipv6 N/no-buffer g/globoff no-keepalive tlsv1.2 "+
		"tlsv1.3 fail-early path-as-is raw tcp-nodelay ssl-no-revoke #/progress-bar q/disable", nil)...)
	// Not implemented: refused rather than ignored, since each changes what curl does.
	return append(t, builtin.Refused("retry retry-delay retry-max-time resolve stderr trace trace-ascii E/cert key "+
		"F/form T/upload-file x/proxy b/cookie c/cookie-jar K/config r/range limit-rate create-dirs :/next Z/parallel unix-socket")...)
}

// usageMessage words a command line the table refused as curl does.
func usageMessage(err error) error {
	u, ok := err.(*builtin.UsageError)
	if !ok {
		return err
	}
	what := "is unknown" // also for --name=value, which curl reads as one name
	switch u.Problem {
	case builtin.Ambiguous:
		what = "is ambiguous"
	case builtin.NeedsValue:
		what = "requires parameter"
	case builtin.NotBoolean:
		what = "used '--no-' for option that isn't a boolean"
	case builtin.Unsupported:
		what = "the installed libcurl version doesn't support this"
	case builtin.Invalid:
		what = u.Err.Error()
	}
	return usageError(fmt.Sprintf("option %s: %s", u.Word, what))
}

func parse(args []string) (*opts, error) {
	o := &opts{maxRedirs: 50}
	urls, err := builtin.Parse(builtin.Curl, o.table(), args)
	if err != nil {
		return nil, usageMessage(err)
	}
	o.urls = append(o.urls, urls...)
	return o, nil
}
