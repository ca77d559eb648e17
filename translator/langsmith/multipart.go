// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tracebridge/tracebridge/translator/internal/jsontext"

	"github.com/google/uuid"
)

// The /runs/multipart body. The Python, Go and JS SDKs (langsmith-sdk python/langsmith/client.py,
// langsmith-go lib/langsmithtracing/internal/multipart) write for each run a post.<id> (or
// patch.<id>) part with the run's own fields, then one part per non-empty payload field
// (.inputs, .outputs, .extra, .events, .error). A post here follows LangChain's Go collector
// proxy instead, which LangSmith ingests from as well: extra and error go inside the main
// post.<id> part, and only inputs, outputs and events get parts of their own. A part's headers
// are ~170 bytes, more than a typical extra, so an LLM run's body is 8 % smaller (1,916 → 1,753
// bytes; BenchmarkWriteMultipart −8 % instructions). Patches keep the SDKs' split: the proxy
// sends none, so that form is the one known to work for them. Every part needs
// Content-Disposition, a Content-Type and its length, either as a Content-Length header (the
// Python and Go SDKs) or as the Content-Type's length parameter (the JS SDK:
// "Content-Type: application/json; length=N"); LangSmith takes both. The JSON parts use the JS
// SDK's form, 9 bytes shorter a part; attachments keep Content-Length, because their
// Content-Type comes from the trace and may carry parameters of its own. The writer is
// hand-rolled rather than mime/multipart's so that sizes are known exactly in advance
// (EncodedSize) and no per-part header maps are built.

const (
	partDisposition = "Content-Disposition: form-data; name=\""
	partTypeLength  = "\"\r\nContent-Type: application/json; length="
)

// MultipartContentType is the Content-Type header of a body written with boundary.
func MultipartContentType(boundary string) string {
	return "multipart/form-data; boundary=" + boundary
}

// AppendMultipart appends the multipart body of runs to dst. The uploader appends into a
// buffer it reuses, so a body costs no allocation and each byte is written once (writing each
// run into a part buffer and copying it on to an io.Writer cost a second copy of the body).
func AppendMultipart(dst []byte, boundary string, runs []Run) ([]byte, error) {
	if err := checkBody(boundary, runs); err != nil {
		return dst, err
	}
	var p partPrefixes
	newPartPrefixes(&p, boundary)
	for i := range runs {
		dst = appendRunParts(dst, &p, &runs[i])
	}
	return appendClosingDelimiter(dst, boundary), nil
}

// multipartBody returns the multipart body of runs in one allocation of its exact size.
func multipartBody(boundary string, runs []Run) ([]byte, error) {
	if err := checkBody(boundary, runs); err != nil {
		return nil, err
	}
	size := ClosingDelimiterSize(len(boundary))
	for i := range runs {
		size += MultipartSize(&runs[i], len(boundary))
	}
	return AppendMultipart(make([]byte, 0, size), boundary, runs)
}

func checkBody(boundary string, runs []Run) error {
	if err := checkBoundary(boundary); err != nil {
		return err
	}
	for i := range runs {
		if err := checkRunIdentity(&runs[i]); err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
	}
	return nil
}

// partPrefixes are what every part of one body starts with, up to the run id: the delimiter
// line and the Content-Disposition up to the event's name, for posts and for patches. Written
// once per body (in an array, so on the stack), each part header copies them in one go.
// Attachment parts, whose headers differ, take the boundary itself.
type partPrefixes struct {
	buf      [2 * maxPrefixLen]byte
	post     int // buf[:post] opens a post's part
	end      int // buf[post:end] a patch's
	boundary string
}

const maxPrefixLen = len("--\r\n"+partDisposition+"patch.") + MaxBoundaryLen

func newPartPrefixes(p *partPrefixes, boundary string) {
	b := p.buf[:0]
	for _, event := range [2]string{"post.", "patch."} {
		b = append(b, "--"...)
		b = append(b, boundary...)
		b = append(b, "\r\n"+partDisposition...)
		b = append(b, event...)
		if event == "post." {
			p.post = len(b)
		}
	}
	p.end, p.boundary = len(b), boundary
}

func (p *partPrefixes) of(run *Run) []byte {
	if run.Patch {
		return p.buf[p.post:p.end]
	}
	return p.buf[:p.post]
}

// MaxBoundaryLen is the longest boundary RFC 2046 allows.
const MaxBoundaryLen = 70

// EncodedSize bounds the bytes run adds to a request body: exact for a multipart body with a
// boundary of MaxBoundaryLen characters, an upper bound for any shorter boundary and for the
// run's share of a /runs/batch body. The uploader splits batches under LangSmith's
// size_limit_bytes with it, without encoding them twice.
func EncodedSize(run *Run) int { return MultipartSize(run, MaxBoundaryLen) }

// MultipartSize is the exact number of bytes run adds to a multipart body whose boundary is
// boundaryLen characters long. A body is the sum over its runs plus ClosingDelimiterSize.
func MultipartSize(run *Run, boundaryLen int) int {
	event := eventName(run)
	n := partSize(boundaryLen, event, "", mainPartLen(run))
	for _, p := range ownParts(run) {
		if p.name == "error" {
			if run.Error != "" {
				n += partSize(boundaryLen, event, p.name, jsontext.StringLen(run.Error))
			}
		} else if len(p.data) > 0 {
			n += partSize(boundaryLen, event, p.name, len(p.data))
		}
	}
	for i := range run.Attachments {
		n += attachmentPartSize(boundaryLen, &run.Attachments[i])
	}
	return n
}

// ClosingDelimiterSize is the size of the delimiter that ends a multipart body.
func ClosingDelimiterSize(boundaryLen int) int { return boundaryLen + 6 }

func eventName(run *Run) string {
	if run.Patch {
		return "patch"
	}
	return "post"
}

// partSize is the size of a part whose body is bodyLen bytes.
func partSize(boundaryLen int, event, field string, bodyLen int) int {
	n := 2 + boundaryLen + 2 + len(partDisposition) + len(event) + 1 + 36
	if field != "" {
		n += 1 + len(field)
	}
	return n + len(partTypeLength) + decimalLen(bodyLen) + 4 + bodyLen + 2
}

func decimalLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

func appendRunParts(dst []byte, prefixes *partPrefixes, run *Run) []byte {
	prefix := prefixes.of(run)
	// Every part's name carries the run's id: spelled out once.
	var id [36]byte
	encodeUUID(&id, run.ID)
	dst = appendMainPart(dst, prefix, &id, run)
	for _, p := range ownParts(run) {
		if p.name == "error" {
			if run.Error != "" {
				dst = appendPartHeader(dst, prefix, &id, p.name, jsontext.StringLen(run.Error))
				dst = jsontext.AppendString(dst, run.Error)
				dst = append(dst, "\r\n"...)
			}
			continue
		}
		if len(p.data) > 0 {
			dst = appendPartHeader(dst, prefix, &id, p.name, len(p.data))
			dst = append(dst, p.data...)
			dst = append(dst, "\r\n"...)
		}
	}
	for i := range run.Attachments {
		dst = appendAttachmentPart(dst, prefixes.boundary, run.ID, &run.Attachments[i])
	}
	return dst
}

// appendMainPart writes the run's main part: its own fields, and on a post its extra and error.
// The body is written first and its length filled in behind it, in room reserved for as many
// digits as the body's likely size has (the body moved by as many digits as the guess was off:
// it leaves the error out, so a long one adds several): working the length out in advance, as
// MultipartSize does, sized every string of the run's fields a second time.
func appendMainPart(dst, prefix []byte, id *[36]byte, run *Run) []byte {
	dst = append(dst, prefix...)
	dst = append(dst, id[:]...)
	dst = append(dst, partTypeLength...)
	at := len(dst)
	guess := decimalLen(mainPartGuess + len(run.Extra))
	dst = append(dst, "00000000000000000000"[:guess]...)
	dst = append(dst, "\r\n\r\n"...)
	body := len(dst)
	dst = append(dst, '{')
	dst = appendRunFields(dst, run)
	if !run.Patch {
		if len(run.Extra) > 0 {
			dst = append(dst, `,"extra":`...)
			dst = append(dst, run.Extra...)
		}
		if run.Error != "" {
			dst = append(dst, `,"error":`...)
			dst = jsontext.AppendString(dst, run.Error)
		}
	}
	dst = append(dst, '}')
	n := len(dst) - body
	if d := decimalLen(n); d != guess {
		end := len(dst)
		if d > guess {
			dst = append(dst, "00000000000000000000"[:d-guess]...)
		}
		copy(dst[body+d-guess:], dst[body:end])
		dst = dst[:end+d-guess]
	}
	var head [24]byte // the length and the blank line that ends the headers
	copy(dst[at:], append(strconv.AppendInt(head[:0], int64(n), 10), "\r\n\r\n"...))
	return append(dst, "\r\n"...)
}

// mainPartGuess is about what a run's own fields take in its main part (ids, dotted order,
// name, type, times, project), for appendMainPart's guess of its length's digits.
const mainPartGuess = 400

// mainPartLen is the length of the run's main part: its own fields, and on a post its extra
// and error.
func mainPartLen(run *Run) int {
	n := 2 + runFieldsLen(run)
	if !run.Patch {
		if len(run.Extra) > 0 {
			n += len(`,"extra":`) + len(run.Extra)
		}
		if run.Error != "" {
			n += len(`,"error":`) + jsontext.StringLen(run.Error)
		}
	}
	return n
}

// ownParts lists the payload fields that travel as parts of their own, in the SDKs' order:
// inputs, outputs and events always, extra and error on a patch. Callers skip the empty ones
// (error's data is nil: it is encoded from the string).
func ownParts(run *Run) []runPart {
	parts := payloadParts(run)
	if run.Patch {
		return parts[:]
	}
	return []runPart{parts[0], parts[1], parts[3]}
}

// appendPartHeader writes a part's delimiter and headers: prefix (partPrefixes) is all of
// them up to the run's id.
func appendPartHeader(dst []byte, prefix []byte, id *[36]byte, field string, bodyLen int) []byte {
	dst = append(dst, prefix...)
	dst = append(dst, id[:]...)
	if field != "" {
		dst = append(dst, '.')
		dst = append(dst, field...)
	}
	dst = append(dst, partTypeLength...)
	dst = strconv.AppendInt(dst, int64(bodyLen), 10)
	return append(dst, "\r\n\r\n"...)
}

func appendClosingDelimiter(dst []byte, boundary string) []byte {
	dst = append(dst, "--"...)
	dst = append(dst, boundary...)
	return append(dst, "--\r\n"...)
}

// checkBoundary applies RFC 2046's rules (as mime/multipart's SetBoundary does).
func checkBoundary(boundary string) error {
	if len(boundary) < 1 || len(boundary) > MaxBoundaryLen {
		return fmt.Errorf("multipart boundary %q must be 1 to 70 characters", boundary)
	}
	for i := 0; i < len(boundary); i++ {
		c := boundary[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '\'' || c == '(' || c == ')' || c == '+' || c == '_' || c == ',' || c == '-' ||
			c == '.' || c == '/' || c == ':' || c == '=' || c == '?':
		case c == ' ' && i != len(boundary)-1:
		default:
			return fmt.Errorf("multipart boundary %q has invalid character %q", boundary, c)
		}
	}
	return nil
}

// checkRunIdentity refuses runs LangSmith's batch endpoints would reject: multipart and batch
// ingestion need id, trace_id and dotted_order on posts and patches alike.
func checkRunIdentity(run *Run) error {
	switch {
	case run.ID == uuid.Nil:
		return errors.New("run has no id")
	case run.TraceID == uuid.Nil:
		return fmt.Errorf("run %s has no trace_id", run.ID)
	case run.DottedOrder == "":
		return fmt.Errorf("run %s has no dotted_order", run.ID)
	}
	return nil
}
