package web

import "github.com/imdsplay/imdsplay/imds"

// HopChoice is one "where commands run" option of the instance panel.
type HopChoice struct {
	Hops  int
	Label string
}

// HopChoices are the places the panel offers for the instance's commands: the response hop
// limit must be at least the number of hops for an answer to arrive.
var HopChoices = []HopChoice{
	{1, "On the instance (1 hop)"},
	{2, "In a container (2 hops)"},
	{3, "Two hops away (3 hops)"},
}

// VersionChoice is one date of the panel's API version switch.
type VersionChoice struct {
	Date string // YYYY-MM-DD
	Note string // what changes at that date
}

// VersionChoices are the version dates worth comparing, oldest first: the dates at which the
// service changes are imds's (see content/versions.md); the two others are examples on
// either side of the first.
var VersionChoices = []VersionChoice{
	{"2021-12-31", "before identity tokens: refused"},
	{imds.MinIdentityVersion, "first identity token date"},
	{"2024-11-12", "/instance_identity still answers"},
	{imds.IdentityPathChange, "only /identity answers"},
}
