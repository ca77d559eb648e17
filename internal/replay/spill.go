// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package replay // import "github.com/tracebridge/tracebridge/internal/replay"

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// traceKey names a trace in the first pass: the trace's UUID bytes, or a hash of a trace ID that
// is not a UUID.
type traceKey [16]byte

func keyOf(id string) traceKey {
	if u, err := uuid.Parse(strings.TrimSpace(id)); err == nil {
		return traceKey(u)
	}
	sum := sha256.Sum256([]byte(id))
	var k traceKey
	copy(k[:], sum[:16])
	return k
}

// bucketBytes is the input size one bucket is sized for: the second pass holds one bucket (and
// the traces of the one before it that are still in flight) in memory.
const bucketBytes = 32 << 20

// bucketCount picks how many buckets to spread size bytes over; size < 0 means unknown (stdin).
func bucketCount(size int64) int {
	if size < 0 {
		return 64
	}
	return int(min(max((size+bucketBytes-1)/bucketBytes, 1), 512))
}

// spill is the first pass's output: every run filed under its trace's bucket, every record in
// one file, in temporary files, so the second pass never needs the input again (stdin included)
// and never holds more than one bucket.
type spill struct {
	dir     string
	buckets []*spillFile
	records *spillFile
}

type spillFile struct {
	path  string
	f     *os.File
	w     *bufio.Writer
	items int
}

// spilled is one item read back.
type spilled struct {
	key   traceKey // runs only
	pos   position
	final bool
	raw   []byte
}

const (
	flagElement = 1 << iota
	flagFinal
)

func newSpill(tempDir string, buckets int) (*spill, error) {
	dir, err := os.MkdirTemp(tempDir, "tracebridge-replay-*")
	if err != nil {
		return nil, fmt.Errorf("create spill directory: %w", err)
	}
	s := &spill{dir: dir, buckets: make([]*spillFile, buckets)}
	for i := range s.buckets {
		s.buckets[i] = &spillFile{path: filepath.Join(dir, fmt.Sprintf("bucket-%03d", i))}
	}
	s.records = &spillFile{path: filepath.Join(dir, "records")}
	return s, nil
}

func (s *spill) bucketOf(k traceKey) int {
	h := fnv.New32a() // deterministic, so a file replays in the same order every time
	h.Write(k[:])
	return int(h.Sum32() % uint32(len(s.buckets))) //nolint:gosec // len ≤ 512
}

func (s *spill) addRun(k traceKey, pos position, final bool, raw []byte) error {
	return s.buckets[s.bucketOf(k)].write(&k, pos, final, raw)
}

func (s *spill) addRecord(pos position, final bool, raw []byte) error {
	return s.records.write(nil, pos, final, raw)
}

func (f *spillFile) write(k *traceKey, pos position, final bool, raw []byte) error {
	if f.f == nil {
		file, err := os.OpenFile(f.path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("create spill file: %w", err)
		}
		f.f, f.w = file, bufio.NewWriterSize(file, 64<<10)
	}
	var hdr [3*binary.MaxVarintLen64 + 1 + 16]byte
	n := binary.PutUvarint(hdr[:], uint64(pos.src)) //nolint:gosec // ≥ 0
	n += binary.PutUvarint(hdr[n:], uint64(pos.n))  //nolint:gosec // ≥ 1
	var flags byte
	if pos.element {
		flags |= flagElement
	}
	if final {
		flags |= flagFinal
	}
	hdr[n] = flags
	n++
	if k != nil {
		n += copy(hdr[n:], k[:])
	}
	n += binary.PutUvarint(hdr[n:], uint64(len(raw)))
	if _, err := f.w.Write(hdr[:n]); err != nil {
		return fmt.Errorf("write spill file: %w", err)
	}
	if _, err := f.w.Write(raw); err != nil {
		return fmt.Errorf("write spill file: %w", err)
	}
	f.items++
	return nil
}

// seal flushes every file, ending the first pass.
func (s *spill) seal() error {
	var errs []error
	for _, f := range append(slices.Clone(s.buckets), s.records) {
		if f.w != nil {
			errs = append(errs, f.w.Flush())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("flush spill files: %w", err)
	}
	return nil
}

// readBucket loads one bucket and releases its file.
func (s *spill) readBucket(i int) ([]spilled, error) {
	return s.buckets[i].readAll(true)
}

// eachRecord streams the records back in input order.
func (s *spill) eachRecord(fn func(spilled) error) error {
	f := s.records
	if f.f == nil {
		return nil
	}
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind records spill: %w", err)
	}
	br := bufio.NewReaderSize(f.f, 1<<20)
	for {
		it, err := readSpilled(br, false)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
}

func (f *spillFile) readAll(keyed bool) ([]spilled, error) {
	if f.f == nil {
		return nil, nil
	}
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind spill file: %w", err)
	}
	br := bufio.NewReaderSize(f.f, 1<<20)
	items := make([]spilled, 0, f.items)
	for {
		it, err := readSpilled(br, keyed)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	// The bucket is read once; give its disk space back now.
	_ = f.f.Close()
	_ = os.Remove(f.path)
	f.f, f.w = nil, nil
	return items, nil
}

func readSpilled(br *bufio.Reader, keyed bool) (spilled, error) {
	var it spilled
	src, err := binary.ReadUvarint(br)
	if err != nil {
		return it, err // io.EOF at a clean end
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return it, corruptSpill(err)
	}
	flags, err := br.ReadByte()
	if err != nil {
		return it, corruptSpill(err)
	}
	if keyed {
		if _, err := io.ReadFull(br, it.key[:]); err != nil {
			return it, corruptSpill(err)
		}
	}
	size, err := binary.ReadUvarint(br)
	if err != nil {
		return it, corruptSpill(err)
	}
	it.raw = make([]byte, size)
	if _, err := io.ReadFull(br, it.raw); err != nil {
		return it, corruptSpill(err)
	}
	it.pos = position{src: int(src), n: int(n), element: flags&flagElement != 0} //nolint:gosec // written by us
	it.final = flags&flagFinal != 0
	return it, nil
}

func corruptSpill(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read spill file: %w", err)
}

// remove deletes the spill directory.
func (s *spill) remove() {
	for _, f := range append(slices.Clone(s.buckets), s.records) {
		if f.f != nil {
			_ = f.f.Close()
		}
	}
	_ = os.RemoveAll(s.dir)
}
