package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

const scenarioUsage = `Usage: imds scenario

Prints the default scenario, the world imds serves unless told otherwise, as JSON: one running
instance with the metadata service on over http and hop limit 1, a default trusted profile
(auto-linked) and a second linked one, an unlinked profile, two SSH keys, a placement group and
an instance template. Its IDs and CRNs are fixed. Save it, edit it and load it back:

	imds scenario > world.json
	imds serve --scenario world.json
`

func (c *cli) scenario(args []string) int {
	fs := c.flags("scenario", scenarioUsage)
	if st := c.parse(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		return c.usageError("scenario", "unexpected argument %q", fs.Arg(0))
	}
	data, err := json.MarshalIndent(scenario.Default(), "", "  ")
	if err != nil {
		fmt.Fprintf(c.stderr, "imds scenario: %v\n", err)
		return 1
	}
	if _, err := c.stdout.Write(append(data, '\n')); err != nil {
		fmt.Fprintf(c.stderr, "imds scenario: %v\n", err)
		return 1
	}
	return 0
}

// loadScenario reads a scenario file for cmd. It returns nil for "" (the default scenario),
// or the exit status 2 after a message that names the file and, for a bad document, the field.
func (c *cli) loadScenario(cmd, path string) (*scenario.Scenario, int) {
	if path == "" {
		return nil, 0
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(c.stderr, "imds %s: --scenario: %v\n", cmd, err)
		return nil, 2
	}
	defer f.Close()
	s, err := scenario.Load(f)
	if err != nil {
		var fe *scenario.FieldError
		if errors.As(err, &fe) {
			fmt.Fprintf(c.stderr, "imds %s: scenario %s: field %s: %s\n", cmd, path, fe.Field, fe.Reason)
		} else {
			fmt.Fprintf(c.stderr, "imds %s: scenario %s: %v\n", cmd, path, err)
		}
		return nil, 2
	}
	return s, 0
}
