package smithemu

import (
	"bytes"
	"strings"
)

// wirePart is one part of a multipart body: the headers the checks read
// (as mime/multipart's Header.Get and FormName give them) and its bytes.
type wirePart struct {
	name            string
	contentType     string
	contentLength   string
	contentEncoding string
	data            []byte
	readErr         error // reading the part's body failed (mime/multipart only)
}

// splitMultipart splits a body in the layout the SDKs and the exporter write:
// "--boundary\r\n", then per part only Content-Disposition: form-data;
// name="…", Content-Type, Content-Length and Content-Encoding header lines
// ending in CRLF with plain values, a blank line, the bytes, "\r\n--boundary"
// and "\r\n" or "--" (then nothing or CRLF). For such a body it yields the
// parts mime/multipart's NextRawPart would, without its per-part header maps
// and readers; ok is false for anything else, which is then read by
// mime/multipart (preambles, LF line ends, padding, folded or other headers,
// quoting, empty parts, …) so that its verdicts and errors stay the same.
// multipartsplit_test.go compares the two.
func splitMultipart(body []byte, boundary string) (parts []wirePart, ok bool) {
	// mime/multipart reads boundary lines through a 4 KiB buffer, and splits
	// them at LF: a boundary holding a line break (RFC 2231's
	// boundary*=utf-8''%0A gives one) is not a line it can match.
	if len(boundary) > 1000 || strings.ContainsAny(boundary, "\r\n") {
		return nil, false
	}
	dashBoundary := "--" + boundary
	rest, found := bytes.CutPrefix(body, []byte(dashBoundary+"\r\n"))
	if !found {
		return nil, false
	}
	delim := []byte("\r\n" + dashBoundary)
	for {
		var p wirePart
		rest, ok = splitPartHeaders(rest, &p)
		if !ok || bytes.HasPrefix(rest, delim[2:]) {
			return nil, false
		}
		end := bytes.Index(rest, delim)
		if end < 0 {
			return nil, false
		}
		p.data = rest[:end:end]
		parts = append(parts, p)
		rest = rest[end+len(delim):]
		switch {
		case bytes.HasPrefix(rest, []byte("\r\n")):
			rest = rest[2:]
		case bytes.HasPrefix(rest, []byte("--")):
			if tail := rest[2:]; len(tail) == 0 || string(tail) == "\r\n" {
				return parts, true
			}
			return nil, false
		default:
			return nil, false
		}
	}
}

// splitPartHeaders reads one part's header block up to and including its
// blank line into p.
func splitPartHeaders(b []byte, p *wirePart) (rest []byte, ok bool) {
	seen := 0
	for {
		eol := bytes.Index(b, []byte("\r\n"))
		if eol < 0 {
			return nil, false
		}
		line := b[:eol]
		b = b[eol+2:]
		if len(line) == 0 {
			return b, seen&1 != 0 // Content-Disposition is required
		}
		key, value, found := bytes.Cut(line, []byte(": "))
		if !found || !plainHeaderValue(value) {
			return nil, false
		}
		var bit int
		switch string(key) {
		case "Content-Disposition":
			bit = 1
			v, found := strings.CutPrefix(string(value), `form-data; name="`)
			if !found || len(v) == 0 || v[len(v)-1] != '"' {
				return nil, false
			}
			name := v[:len(v)-1]
			if strings.IndexByte(name, '"') >= 0 || strings.IndexByte(name, '\\') >= 0 {
				return nil, false
			}
			p.name = name
		case "Content-Type":
			bit = 2
			p.contentType = string(value)
		case "Content-Length":
			bit = 4
			p.contentLength = string(value)
		case "Content-Encoding":
			bit = 8
			p.contentEncoding = string(value)
		default:
			return nil, false
		}
		if seen&bit != 0 {
			return nil, false
		}
		seen |= bit
	}
}

// plainHeaderValue reports whether v is non-empty printable ASCII without
// leading or trailing blanks: a value textproto keeps as it is.
func plainHeaderValue(v []byte) bool {
	if len(v) == 0 || v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	for _, c := range v {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
