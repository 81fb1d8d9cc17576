// Package wasmdata rewrites the data section of a compiled WebAssembly module so that it
// compresses better, leaving the memory the module starts with unchanged.
//
// Go's linker writes the initial memory as one active data segment per stretch of non-zero
// bytes, splitting at every run of 8 zero bytes or more (up to 100,000 segments, the most V8
// accepts). That is the smallest module raw, but every segment's header (its offset and length,
// LEB128-encoded) lands between the bytes of the data, which breaks the repetitions a
// compressor feeds on. On the playground's engine, one segment holding the zeros too is 1 MB
// bigger raw and 127 KB (5%) smaller in brotli quality 11, the form a visitor downloads.
package wasmdata

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// SplitZeros is the shortest run of zero bytes at which Merge still starts a new segment:
// shorter runs are written out as data. A page of zeros costs a few bytes once compressed;
// this bounds what a module with large zero-filled holes grows by raw.
const SplitZeros = 64 << 10

const (
	sectionData      = 11
	sectionDataCount = 12
	opI32Const       = 0x41
	opEnd            = 0x0b
)

// Segment is one active data segment of memory 0: Data is copied to Offset when the module is
// instantiated.
type Segment struct {
	Offset uint32
	Data   []byte
}

// Merge returns module with its data section rewritten as the fewest active segments that
// give the same initial memory, splitting only at runs of at least SplitZeros zero bytes (fresh
// memory is zero, so leaving a run out changes nothing). Every other section is copied as it
// is. Merge accepts only the segments Go's linker writes (active, memory 0, an i32.const
// offset); for anything else it returns an error rather than guess.
func Merge(module []byte) ([]byte, error) {
	secs, err := sections(module)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(module[:8])
	var merged []Segment
	for _, s := range secs {
		body := s.body
		switch s.id {
		case sectionData:
			segs, err := decodeData(body)
			if err != nil {
				return nil, err
			}
			merged = mergeSegments(segs)
			body = encodeData(merged)
		case sectionDataCount:
			// Only bulk-memory instructions need it; it must match the new count.
			body = appendULEB(nil, uint64(len(merged)))
		}
		out.WriteByte(s.id)
		out.Write(appendULEB(nil, uint64(len(body))))
		out.Write(body)
	}
	return out.Bytes(), nil
}

// DataSegments decodes the data section of module: the segments in the order instantiation
// applies them (a later one overwrites an earlier one where they overlap).
func DataSegments(module []byte) ([]Segment, error) {
	secs, err := sections(module)
	if err != nil {
		return nil, err
	}
	for _, s := range secs {
		if s.id == sectionData {
			return decodeData(s.body)
		}
	}
	return nil, nil
}

type section struct {
	id   byte
	body []byte
}

var magic = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

// sections splits a binary module (version 1) into its sections.
func sections(module []byte) ([]section, error) {
	if !bytes.HasPrefix(module, magic) {
		return nil, errors.New("wasmdata: not a WebAssembly binary module (version 1)")
	}
	var secs []section
	r := reader{b: module, i: len(magic)}
	for r.i < len(r.b) {
		id := r.b[r.i]
		r.i++
		n, err := r.uleb(32)
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(n)
		if err != nil {
			return nil, fmt.Errorf("wasmdata: section %d: %w", id, err)
		}
		secs = append(secs, section{id: id, body: body})
	}
	return secs, nil
}

// decodeData decodes a data section body.
func decodeData(body []byte) ([]Segment, error) {
	r := reader{b: body}
	n, err := r.uleb(32)
	if err != nil {
		return nil, err
	}
	segs := make([]Segment, 0, min(n, uint64(len(body))))
	for k := uint64(0); k < n; k++ {
		flags, err := r.uleb(32)
		if err != nil {
			return nil, err
		}
		if flags != 0 {
			return nil, fmt.Errorf("wasmdata: data segment %d has flags %d; only active segments of memory 0 are supported", k, flags)
		}
		if op, err := r.byte(); err != nil || op != opI32Const {
			return nil, fmt.Errorf("wasmdata: data segment %d: the offset is not an i32.const", k)
		}
		off, err := r.sleb32()
		if err != nil {
			return nil, err
		}
		if op, err := r.byte(); err != nil || op != opEnd {
			return nil, fmt.Errorf("wasmdata: data segment %d: the offset is not a single i32.const", k)
		}
		size, err := r.uleb(32)
		if err != nil {
			return nil, err
		}
		data, err := r.bytes(size)
		if err != nil {
			return nil, fmt.Errorf("wasmdata: data segment %d: %w", k, err)
		}
		if uint64(uint32(off))+size > 1<<32 {
			return nil, fmt.Errorf("wasmdata: data segment %d ends past 4 GiB", k)
		}
		segs = append(segs, Segment{Offset: uint32(off), Data: data})
	}
	if r.i != len(body) {
		return nil, errors.New("wasmdata: trailing bytes after the data segments")
	}
	return segs, nil
}

// mergeSegments lays segs out in order over zeroed memory and cuts what they cover at runs of
// at least SplitZeros zero bytes, dropping the runs (and the zeros at either end). Segments
// further apart than that are laid out separately, so memory use follows the data, not the
// span of addresses.
func mergeSegments(segs []Segment) []Segment {
	order := make([]int, len(segs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(segs[a].Offset, segs[b].Offset) })
	var out []Segment
	for len(order) > 0 {
		// A cluster: segments that start within SplitZeros of the end of those before them.
		lo := uint64(segs[order[0]].Offset)
		hi, n := lo, 0
		for ; n < len(order); n++ {
			s := segs[order[n]]
			if uint64(s.Offset) >= hi+SplitZeros {
				break
			}
			hi = max(hi, uint64(s.Offset)+uint64(len(s.Data)))
		}
		cluster := order[:n]
		order = order[n:]
		slices.Sort(cluster) // the order instantiation writes them in
		img := make([]byte, hi-lo)
		for _, i := range cluster {
			copy(img[uint64(segs[i].Offset)-lo:], segs[i].Data)
		}
		out = appendNonZero(out, lo, img)
	}
	return out
}

// appendNonZero appends to segs the stretches of img (which starts at address lo) between
// runs of at least SplitZeros zero bytes, without the zeros at their ends.
func appendNonZero(segs []Segment, lo uint64, img []byte) []Segment {
	zeros := make([]byte, SplitZeros)
	img = bytes.TrimRight(img, "\x00")
	for start := 0; start < len(img); {
		for img[start] == 0 {
			start++ // img ends in a non-zero byte
		}
		end := len(img)
		if z := bytes.Index(img[start:], zeros); z >= 0 {
			end = start + z
		}
		segs = append(segs, Segment{Offset: uint32(lo + uint64(start)), Data: img[start:end]})
		start = end
	}
	return segs
}

// encodeData encodes segs as a data section body.
func encodeData(segs []Segment) []byte {
	b := appendULEB(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, opI32Const)
		b = appendSLEB(b, int64(int32(s.Offset)))
		b = append(b, opEnd)
		b = appendULEB(b, uint64(len(s.Data)))
		b = append(b, s.Data...)
	}
	return b
}

// reader reads the binary format's primitive values.
type reader struct {
	b []byte
	i int
}

var errShort = errors.New("wasmdata: unexpected end of the module")

func (r *reader) byte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errShort
	}
	r.i++
	return r.b[r.i-1], nil
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.i) {
		return nil, errShort
	}
	b := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return b, nil
}

// uleb reads an unsigned LEB128 number of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= bits || (shift+7 > bits && c&0x7f>>(bits-shift) != 0) {
			return 0, errors.New("wasmdata: LEB128 number too large")
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
}

// sleb32 reads a signed LEB128 number that fits in 32 bits (an i32.const's operand).
func (r *reader) sleb32() (int32, error) {
	var v int64
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= 35 {
			return 0, errors.New("wasmdata: LEB128 number too large")
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			if v != int64(int32(v)) {
				return 0, errors.New("wasmdata: i32.const out of range")
			}
			return int32(v), nil
		}
	}
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
