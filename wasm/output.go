package main

import (
	"bytes"
	"sync"
)

// The order of a run's output: a terminal shows what a script writes to standard output and to
// standard error interleaved, in the order it was written ("exit code: 6" after curl's
// "Could not resolve host", not above it). The shell takes two writers; output gives it two
// that append to one log of chunks, each tagged with its stream, and keeps each stream whole as
// well (RunResult.Stdout and Stderr, which scripts and hints read).

// Chunk is one write to one stream: Fd 1 (standard output) or 2 (standard error). Consecutive
// writes to the same stream are merged into one chunk.
type Chunk struct {
	Fd   int    `json:"fd"`
	Text string `json:"text"`
}

// output collects a run's two streams in order. Commands of a pipeline run in goroutines of
// their own, so writes are serialised.
type output struct {
	mu             sync.Mutex
	chunks         []Chunk
	stdout, stderr bytes.Buffer
}

// stream is one of output's two writers.
type stream struct {
	o  *output
	fd int
}

// Write appends p to the stream and to the ordered log.
func (s stream) Write(p []byte) (int, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if s.fd == 2 {
		s.o.stderr.Write(p)
	} else {
		s.o.stdout.Write(p)
	}
	if n := len(s.o.chunks); n > 0 && s.o.chunks[n-1].Fd == s.fd {
		s.o.chunks[n-1].Text += string(p)
	} else if len(p) > 0 {
		s.o.chunks = append(s.o.chunks, Chunk{Fd: s.fd, Text: string(p)})
	}
	return len(p), nil
}

// writers returns the standard output and standard error writers to give the shell.
func (o *output) writers() (stdout, stderr stream) { return stream{o, 1}, stream{o, 2} }

// result returns each stream whole and the ordered chunks.
func (o *output) result() (stdout, stderr string, chunks []Chunk) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.chunks == nil {
		o.chunks = []Chunk{}
	}
	return o.stdout.String(), o.stderr.String(), o.chunks
}
