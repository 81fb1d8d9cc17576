// Package ibmcloud is the shell's `ibmcloud`: login with an API key, `iam oauth-tokens`,
// `target`, and the `is` (VPC) commands the metadata-service pages use — instance, instances,
// instance-create, instance-update, instance-templates, instance-template-create,
// instance-create-from-template and instance-stop/start/reboot. Every command is a VPC API call
// through the session's network with the logged-in IAM token, and prints the CLI's tables.
package ibmcloud

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// APIVersion is the version date the CLI sends to the VPC API.
const APIVersion = "2025-05-13"

// State is the CLI's login, kept per session like ~/.bluemix/config.json.
type State struct {
	mu      sync.Mutex
	Token   string // IAM access token; "" means not logged in
	Account string // account name shown in messages; "" derives one from the token
	Region  string
}

// CLI runs ibmcloud command lines.
type CLI struct {
	Transport http.RoundTripper
	Now       func() time.Time
	State     *State
}

type session struct {
	c     *CLI
	e     *builtin.Env
	token string
	user  string
	acct  string
	acID  string
	reg   string
}

// Run is the ibmcloud command.
func (c *CLI) Run(e *builtin.Env) int {
	args := e.Args[1:]
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.Stdout, topHelp)
		return 0
	}
	switch args[0] {
	case "version", "-v", "--version":
		fmt.Fprintln(e.Stdout, "ibmcloud 2.33.0 (imdsplay emulation)")
		return 0
	case "login":
		return c.login(e, args[1:])
	case "logout":
		c.State.mu.Lock()
		c.State.Token = ""
		c.State.mu.Unlock()
		fmt.Fprintln(e.Stdout, "Logging out...\nOK")
		return 0
	}
	s, ok := c.session(e)
	if !ok {
		return 1
	}
	switch args[0] {
	case "target":
		s.printTarget()
		return 0
	case "iam":
		return s.iam(args[1:])
	case "is":
		if len(args) == 1 {
			fmt.Fprint(e.Stdout, isHelp)
			return 0
		}
		return s.is(args[1], args[2:])
	}
	return failed(e, fmt.Sprintf("'%s' is not a registered command. See 'ibmcloud help'.", args[0]))
}

func failed(e *builtin.Env, msg string) int {
	fmt.Fprintln(e.Stdout, "FAILED")
	fmt.Fprintln(e.Stderr, msg)
	return 1
}

// session checks the login and decodes who is logged in from the token.
func (c *CLI) session(e *builtin.Env) (*session, bool) {
	c.State.mu.Lock()
	tok, acct, reg := c.State.Token, c.State.Account, c.State.Region
	c.State.mu.Unlock()
	if tok == "" {
		return nil, failed(e, "Not logged in. Use 'ibmcloud login' to log in.") == 0
	}
	if reg == "" {
		reg = "us-south"
	}
	s := &session{c: c, e: e, token: tok, acct: acct, reg: reg}
	var claims struct {
		Email   string `json:"email"`
		Sub     string `json:"sub"`
		Exp     int64  `json:"exp"`
		Account struct {
			BSS string `json:"bss"`
		} `json:"account"`
	}
	if parts := strings.Split(tok, "."); len(parts) == 3 {
		if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			json.Unmarshal(b, &claims)
		}
	}
	s.user = claims.Email
	if s.user == "" {
		s.user = claims.Sub
	}
	s.acID = claims.Account.BSS
	if s.acct == "" {
		s.acct = "Account " + s.acID
	}
	if claims.Exp != 0 && c.Now != nil && c.Now().Unix() >= claims.Exp {
		return nil, failed(e, "Session expired. Use 'ibmcloud login' to log in again.") == 0
	}
	return s, true
}

func (s *session) who() string {
	return fmt.Sprintf("under account %s as user %s", s.acct, s.user)
}

func (s *session) printTarget() {
	fmt.Fprintf(s.e.Stdout, "\nAPI endpoint:     https://cloud.ibm.com\nRegion:           %s\nUser:             %s\nAccount:          %s (%s)\nResource group:   No resource group targeted, use 'ibmcloud target -g RESOURCE_GROUP'\n\n", s.reg, s.user, s.acct, s.acID)
}

func (s *session) iam(args []string) int {
	if len(args) == 0 || args[0] != "oauth-tokens" {
		return failed(s.e, "Only 'ibmcloud iam oauth-tokens' is available in this emulator.")
	}
	f, err := parseFlags(args[1:], []string{"output"}, nil)
	if err != nil {
		return failed(s.e, "Incorrect Usage: "+err.Error())
	}
	if strings.EqualFold(f.vals["output"], "json") {
		b, _ := json.MarshalIndent(map[string]string{"iam_token": "Bearer " + s.token}, "", "    ")
		fmt.Fprintf(s.e.Stdout, "%s\n", b)
		return 0
	}
	fmt.Fprintf(s.e.Stdout, "IAM token:  Bearer %s\n", s.token)
	return 0
}

func (c *CLI) login(e *builtin.Env, args []string) int {
	f, err := parseFlags(args, []string{"apikey", "r", "region", "a", "c", "g", "u", "p"}, []string{"sso", "vpc-cri", "cr-token", "no-region", "q", "quiet"})
	if err != nil {
		return failed(e, "Incorrect Usage: "+err.Error())
	}
	if f.set["sso"] || f.set["vpc-cri"] || f.set["cr-token"] || f.set["u"] || f.set["p"] {
		return failed(e, "Only 'ibmcloud login --apikey KEY' is available in this emulator.")
	}
	key, region := f.vals["apikey"], cmp.Or(f.vals["region"], f.vals["r"])
	fmt.Fprintln(e.Stdout, "API endpoint: https://cloud.ibm.com")
	if key == "" {
		if v := e.Getenv("IBMCLOUD_API_KEY"); v != "" {
			key = v
		} else {
			return failed(e, "Use 'ibmcloud login --apikey KEY': interactive and single sign-on login are not available in this emulator.")
		}
	}
	fmt.Fprintln(e.Stdout, "Authenticating...")
	form := url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {key}}
	req, _ := http.NewRequestWithContext(e.Ctx, http.MethodPost, "https://iam.cloud.ibm.com/identity/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Transport.RoundTrip(req)
	if err != nil {
		return failed(e, fmt.Sprintf("Unable to authenticate: %v", err))
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		ErrorMessage string `json:"errorMessage"`
	}
	json.Unmarshal(body, &tok)
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		msg := tok.ErrorMessage
		if msg == "" {
			msg = resp.Status
		}
		return failed(e, "Unable to authenticate.\n"+msg)
	}
	c.State.mu.Lock()
	c.State.Token = tok.AccessToken
	if region != "" {
		c.State.Region = region
	}
	c.State.mu.Unlock()
	fmt.Fprintln(e.Stdout, "OK")
	s, ok := c.session(e)
	if !ok {
		return 1
	}
	fmt.Fprintf(e.Stdout, "\nTargeted account %s (%s)\n\n", s.acct, s.acID)
	if region != "" {
		fmt.Fprintf(e.Stdout, "Targeted region %s\n\n", s.reg)
	}
	s.printTarget()
	return 0
}

// apiError is the VPC API's error body.
type apiError struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Trace string `json:"trace"`
}

// call makes one VPC API request and decodes a successful answer into out. On failure it has
// already printed the CLI's FAILED block.
func (s *session) call(method, path string, query url.Values, body any, out any) bool {
	status, data, err := s.request(method, path, query, body)
	if err != nil {
		failed(s.e, err.Error())
		return false
	}
	if status >= 300 {
		var ae apiError
		json.Unmarshal(data, &ae)
		fmt.Fprintln(s.e.Stdout, "FAILED")
		if len(ae.Errors) == 0 {
			fmt.Fprintf(s.e.Stderr, "Status code: %d\nError message: %s\n", status, strings.TrimSpace(string(data)))
			return false
		}
		// The CLI's own words, as in its public issue IBM-Cloud/ibm-cloud-cli-release#148.
		fmt.Fprintf(s.e.Stderr, "Response HTTP Status Code: %d\n", status)
		for _, x := range ae.Errors {
			fmt.Fprintf(s.e.Stderr, "Error code: %s\nError message: %s\n", x.Code, x.Message)
		}
		if ae.Trace != "" {
			fmt.Fprintf(s.e.Stderr, "Trace ID: %s\n", ae.Trace)
		}
		return false
	}
	if out != nil {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], data...)
			return true
		}
		if err := json.Unmarshal(data, out); err != nil {
			failed(s.e, "Unexpected response: "+err.Error())
			return false
		}
	}
	return true
}

// request makes one VPC API request and returns the status and body, printing nothing.
func (s *session) request(method, path string, query url.Values, body any) (int, []byte, error) {
	if query == nil {
		query = url.Values{}
	}
	query.Set("version", APIVersion)
	query.Set("generation", "2")
	u := fmt.Sprintf("https://%s.iaas.cloud.ibm.com/v1%s?%s", s.reg, path, query.Encode())
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(s.e.Ctx, method, u, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "IBM-Cloud-CLI/2.33.0 vpc-infrastructure/13.1.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.c.Transport.RoundTrip(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %v", method, u, err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, data, nil
}

const topHelp = `NAME:
  ibmcloud - A command line tool to interact with IBM Cloud

USAGE:
  ibmcloud [global options] command [arguments...] [command options]

COMMANDS (in this emulator):
  login        Log user in (--apikey KEY)
  logout       Log user out
  target       Show the targeted region and account
  iam          oauth-tokens: print the IAM access token
  is           VPC Infrastructure: instances and instance templates

Enter 'ibmcloud is' for the VPC commands available here.
`

const isHelp = `NAME:
  ibmcloud is - Manage Virtual Private Cloud infrastructure

USAGE:
  ibmcloud is command [arguments...] [command options]

COMMANDS (in this emulator):
  instance                        View details of an instance
  instances                       List all instances
  instance-create                 Create a virtual server instance
  instance-create-from-template   Create a virtual server instance from a template
  instance-update                 Update a virtual server instance
  instance-start                  Start a virtual server instance
  instance-stop                   Stop a virtual server instance
  instance-reboot                 Reboot a virtual server instance
  instance-template               View details of an instance template
  instance-templates              List all instance templates
  instance-template-create        Create an instance template
`
