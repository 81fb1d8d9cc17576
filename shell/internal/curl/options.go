package curl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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
	dataAscii     dataKind = iota // -d, --data: @file with CR/LF stripped
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

// longOpts maps curl's long options to whether they take a value.
var longOpts = map[string]bool{
	"request": true, "header": true, "data": true, "data-ascii": true, "data-raw": true,
	"data-binary": true, "data-urlencode": true, "json": true, "get": false, "head": false,
	"include": false, "verbose": false, "silent": false, "show-error": false, "fail": false,
	"fail-with-body": false, "insecure": false, "cacert": true, "capath": true, "output": true,
	"remote-name": false, "write-out": true, "connect-timeout": true, "max-time": true,
	"location": false, "max-redirs": true, "user": true, "user-agent": true, "url": true,
	"dump-header": true, "referer": true, "help": false, "version": false, "compressed": false,
	"http1.1": false, "http2": false, "ipv4": false, "ipv6": false, "no-progress-meter": false,
	"progress-bar": false, "retry": true, "retry-delay": true, "retry-max-time": true,
	"noproxy": true, "location-trusted": false, "no-buffer": false, "globoff": false,
	"no-keepalive": false, "tlsv1.2": false, "tlsv1.3": false, "fail-early": false,
	"create-dirs": false, "path-as-is": false, "raw": false, "tcp-nodelay": false, "disable": false,
	"cert": true, "key": true, "keepalive-time": true, "resolve": true, "stderr": true,
	"trace-ascii": true, "ssl-no-revoke": false,
}

var shortToLong = map[byte]string{
	'X': "request", 'H': "header", 'd': "data", 'G': "get", 'I': "head", 'i': "include",
	'v': "verbose", 's': "silent", 'S': "show-error", 'f': "fail", 'k': "insecure",
	'o': "output", 'O': "remote-name", 'w': "write-out", 'm': "max-time", 'L': "location",
	'u': "user", 'A': "user-agent", 'D': "dump-header", 'e': "referer", 'h': "help",
	'V': "version", '4': "ipv4", '6': "ipv6", 'N': "no-buffer", 'g': "globoff",
	'#': "progress-bar", 'E': "cert", 'q': "disable",
}

// seconds parses the value of -m or --connect-timeout, a number of seconds that may have a
// fraction. spelled is the option as typed, which curl names in its message. A value beyond
// what a time.Duration holds (some 292 years) is clamped to it: converting it as is would
// overflow to a negative duration, and the timeout would silently vanish.
func seconds(spelled, v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || f > float64(math.MaxInt64)/1000: // LONG_MAX ms
		return 0, usageError(fmt.Sprintf("option %s: too large number", spelled))
	case err != nil || f < 0 || math.IsNaN(f):
		return 0, usageError(fmt.Sprintf("option %s: expected a proper numerical parameter", spelled))
	case f >= float64(math.MaxInt64)/float64(time.Second):
		return math.MaxInt64, nil
	}
	return time.Duration(f * float64(time.Second)), nil
}

func parse(args []string) (*opts, error) {
	o := &opts{maxRedirs: 50}
	set := func(name, val, spelled string) error {
		switch name {
		case "request":
			o.method = val
		case "header":
			o.headers = append(o.headers, val)
		case "data", "data-ascii":
			o.data = append(o.data, dataArg{dataAscii, val})
		case "data-raw":
			o.data = append(o.data, dataArg{dataRaw, val})
		case "data-binary":
			o.data = append(o.data, dataArg{dataBinary, val})
		case "data-urlencode":
			o.data = append(o.data, dataArg{dataURLEncode, val})
		case "json":
			o.data = append(o.data, dataArg{dataJSON, val})
			o.jsonBody = true
		case "get":
			o.get = true
		case "head":
			o.head = true
		case "include":
			o.include = true
		case "verbose":
			o.verbose = true
		case "silent":
			o.silent = true
		case "no-progress-meter":
			o.noMeter = true
		case "show-error":
			o.showErr = true
		case "fail":
			o.fail = 1
		case "fail-with-body":
			o.fail = 2
		case "insecure":
			o.insecure = true
		case "cacert":
			o.cacert = val
		case "output":
			o.output = append(o.output, val)
		case "remote-name":
			o.remoteName = true
		case "write-out":
			o.writeOut = val
		case "connect-timeout":
			d, err := seconds(spelled, val)
			if err != nil {
				return err
			}
			o.connTimeout = d
		case "max-time":
			d, err := seconds(spelled, val)
			if err != nil {
				return err
			}
			o.maxTime = d
		case "location", "location-trusted":
			o.follow = true
		case "max-redirs":
			// -1 means no limit; below that curl refuses the number.
			n, err := strconv.Atoi(val)
			if err != nil || n < -1 {
				return usageError(fmt.Sprintf("option %s: expected a proper numerical parameter", spelled))
			}
			o.maxRedirs = n
		case "user":
			o.user = val
		case "user-agent":
			o.userAgent = &val
		case "url":
			o.urls = append(o.urls, val)
		case "dump-header":
			o.dumpHeader = val
		case "referer":
			o.referer = val
		case "help":
			o.help = true
		case "version":
			o.version = true
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name := a[2:]
			// curl has no --name=value form: the whole word is the option's name.
			val := ""
			neg := false
			if _, ok := longOpts[name]; !ok && strings.HasPrefix(name, "no-") {
				if takes, ok2 := longOpts[name[3:]]; ok2 && !takes {
					name, neg = name[3:], true
				}
			}
			takes, ok := longOpts[name]
			if !ok {
				return nil, usageError(fmt.Sprintf("option %s: is unknown", a))
			}
			if takes {
				if i+1 >= len(args) {
					return nil, usageError(fmt.Sprintf("option %s: requires parameter", a))
				}
				i++
				val = args[i]
			}
			if neg {
				continue
			}
			if err := set(name, val, a); err != nil {
				return nil, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				name, ok := shortToLong[a[j]]
				if !ok {
					return nil, usageError(fmt.Sprintf("option -%c: is unknown", a[j]))
				}
				if longOpts[name] {
					val := a[j+1:]
					if val == "" {
						if i+1 >= len(args) {
							return nil, usageError(fmt.Sprintf("option -%c: requires parameter", a[j]))
						}
						i++
						val = args[i]
					}
					if err := set(name, val, "-"+string(a[j])); err != nil {
						return nil, err
					}
					break
				}
				if err := set(name, "", "-"+string(a[j])); err != nil {
					return nil, err
				}
			}
		default:
			o.urls = append(o.urls, a)
		}
	}
	return o, nil
}
