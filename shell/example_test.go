package shell_test

import (
	"context"
	"fmt"
	"os"

	"github.com/imdsplay/imdsplay/shell"
)

// A session keeps its variables and files from one Run to the next, like a terminal.
func ExampleSession_Run() {
	s := shell.New(shell.Config{})
	ctx := context.Background()
	s.Run(ctx, `token=$(echo '{"access_token":"abc.def.ghi"}' | jq -r '(.access_token)')`, os.Stdout, os.Stdout)
	s.Run(ctx, `echo "$token" | cut -d '.' -f 2 > part.txt`, os.Stdout, os.Stdout)
	status := s.Run(ctx, `cat part.txt; nosuch`, os.Stdout, os.Stdout)
	fmt.Println("status", status)
	// Output:
	// def
	// nosuch: command not found
	// status 127
}

// Without a Transport nothing resolves, and curl says so as the real one does.
func ExampleSession_Run_noNetwork() {
	s := shell.New(shell.Config{})
	status := s.Run(context.Background(), `curl -sS "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-04-22"`, os.Stdout, os.Stdout)
	fmt.Println("status", status)
	// Output:
	// curl: (6) Could not resolve host: api.metadata.cloud.ibm.com
	// status 6
}
