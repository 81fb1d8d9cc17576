// Package stdflate is permalink.Compression backed by compress/flate, for Go programs and
// tests; the browser build uses the browser's own DEFLATE instead (see package permalink).
package stdflate

import (
	"bytes"
	"compress/flate"
	"io"

	"github.com/imdsplay/imdsplay/permalink"
)

// Flate compresses at flate.BestCompression, so a link is as short as Go can make it, and
// the same state always makes the same link.
type Flate struct{}

var _ permalink.Compression = Flate{}

// Deflate implements permalink.Compression.
func (Flate) Deflate(data []byte) ([]byte, error) {
	var z bytes.Buffer
	w, err := flate.NewWriter(&z, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

// Inflate implements permalink.Compression.
func (Flate) Inflate(data []byte, limit int) ([]byte, error) {
	return io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)), int64(limit)+1))
}

// Encode is permalink.Encode with Flate.
func Encode(l permalink.Link) (string, error) { return permalink.Encode(l, Flate{}) }

// Decode is permalink.Decode with Flate.
func Decode(fragment string) (permalink.Link, error) { return permalink.Decode(fragment, Flate{}) }
