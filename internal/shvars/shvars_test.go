package shvars_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/shvars"
	"github.com/imdsplay/imdsplay/shell"
)

func TestAnalyze(t *testing.T) {
	for _, tt := range []struct {
		name   string
		place  imds.Place
		script string
		want   shvars.Use
	}{
		{"ok/assign-after-read", "instance",
			`export identity_token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token" | jq -r .access_token)`,
			shvars.Use{Sets: []string{"identity_token"}, Names: []string{"PUT"}}},
		{"ok/read", "instance",
			`curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance" -H "Authorization: Bearer $identity_token" | jq -r .name`,
			shvars.Use{Reads: []string{"identity_token"}}},
		{"ok/set-then-read", "instance", `kid=$(echo "$identity_token" | cut -d. -f1); echo "$kid"`,
			shvars.Use{Reads: []string{"identity_token"}, Sets: []string{"kid"}}},
		{"ok/self-reference", "instance", `x="$x/more"`, shvars.Use{Reads: []string{"x"}, Sets: []string{"x"}}},
		{"ok/append", "instance", `x+=more`, shvars.Use{Reads: []string{"x"}, Sets: []string{"x"}}},
		{"ok/preset-per-place", "instance", `echo "$iam_token $vpc_api_endpoint"`,
			shvars.Use{Reads: []string{"iam_token", "vpc_api_endpoint"}}},
		{"ok/preset-workstation", "workstation", `echo "$iam_token $vpc_api_endpoint $HOME $? $1 ${#x}"`,
			shvars.Use{Reads: []string{"x"}}},
		{"ok/defaults-are-not-needs", "instance", `echo "${a:-1} ${b-2} ${c:+3} ${d:=4} $d"`, shvars.Use{Sets: []string{"d"}}},
		{"ok/required", "instance", `echo "${a:?set a first}"`, shvars.Use{Reads: []string{"a"}}},
		{"ok/for", "instance", `for v in $list; do w=$v; done`, shvars.Use{Reads: []string{"list"}, Sets: []string{"v", "w"}}},
		{"ok/read-builtin", "instance", `read -r -p "x" first second <<< "$in"; echo "$first"`,
			shvars.Use{Reads: []string{"in"}, Sets: []string{"first", "second"}, Names: []string{"first", "second"}}},
		{"ok/printf-v", "instance", `printf -v out '%s' "$out"`, shvars.Use{Reads: []string{"out"}, Sets: []string{"out"}, Names: []string{"out"}}},
		{"ok/arith", "instance", `n=0; for i in 1 2; do n=$((n + i + step)); done; ((k++))`,
			shvars.Use{Reads: []string{"k", "step"}, Sets: []string{"i", "k", "n"}}},
		{"ok/prefix-assign", "instance", `TOKEN=abc env | grep TOKEN`, shvars.Use{Sets: []string{"TOKEN"}, Names: []string{"TOKEN"}}},
		{"ok/declare", "instance", `export TOKEN=$(curl x); declare -x d=1; local l=2; export seen`,
			shvars.Use{Sets: []string{"TOKEN", "d", "l"}, Names: []string{"x"}}},
		{"ok/managed", "instance", `PATH=/x; HOME=/y; RANDOM=3; echo $PWD`, shvars.Use{}},
		{"ok/files", "instance", `openssl req -newkey rsa:2048 -subj '/C=US' -out ./a.csr -keyout a.key -nodes
openssl req -in a.csr -noout -text | head -n 8
jq -r '.certificates[0]' cert.json > leaf.pem 2>/dev/null
curl -s "$u" -o root.pem
openssl verify -CAfile root.pem -untrusted mid.pem leaf.pem
echo "$(cat b.csr)" | tee copy.txt >> log.txt`,
			shvars.Use{Reads: []string{"u"}, Writes: []string{"a.csr", "a.key", "copy.txt", "leaf.pem", "log.txt", "root.pem"},
				Names: []string{"8", "cert.json", "mid.pem", "req", "verify", "b.csr"}}},
		{"ok/redirect-in", "instance", `wc -l < data.txt`, shvars.Use{Names: []string{"data.txt"}}},
		{"ok/not-files", "instance", `cat /etc/hostname ../up "$f" -`, shvars.Use{Reads: []string{"f"}}},
		{"fail/does-not-parse", "instance", `if [ ; then`, shvars.Use{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := shvars.Analyze(tt.script, tt.place)
			slices.Sort(tt.want.Names)
			for _, c := range []struct {
				what      string
				got, want []string
			}{
				{"Reads", got.Reads, tt.want.Reads},
				{"Sets", got.Sets, tt.want.Sets},
				{"Writes", got.Writes, tt.want.Writes},
				{"Names", got.Names, tt.want.Names},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s: got %q; want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestAssigned(t *testing.T) {
	if got, want := shvars.Assigned(`a=1 b=2; echo "$c"`), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestKeepable(t *testing.T) {
	for name, want := range map[string]bool{"identity_token": true, "_x1": true, "PATH": false, "1x": false, "a-b": false, "": false} {
		if got := shvars.Keepable(name); got != want {
			t.Errorf("Keepable(%q) = %v; want %v", name, got, want)
		}
	}
}

// TestPresetsMatchShell holds Presets to what the shell really starts with: every variable a
// fresh session of the place exports, but for the ones it manages itself, is a preset, and
// every preset has a value.
func TestPresetsMatchShell(t *testing.T) {
	for _, c := range []struct {
		place imds.Place
		cfg   shell.Config
	}{
		{imds.OnInstance, shell.Config{Place: imds.OnInstance}},
		{imds.OnWorkstation, shell.Config{Place: imds.OnWorkstation, Login: "a-token"}},
	} {
		var out bytes.Buffer
		s := shell.New(c.cfg)
		if exit := s.Run(context.Background(), `env | cut -d= -f1`, &out, io.Discard); exit != 0 {
			t.Fatalf("%s: env: exit %d", c.place, exit)
		}
		var got []string
		for name := range strings.FieldsSeq(out.String()) {
			if shvars.Keepable(name) {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		if want := shvars.Presets(c.place); !slices.Equal(got, want) {
			t.Errorf("%s: the shell starts with %q; Presets says %q", c.place, got, want)
		}
		for _, name := range shvars.Presets(c.place) {
			if s.Var(name) == "" {
				t.Errorf("%s: preset %s is empty in a new session", c.place, name)
			}
		}
	}
}
