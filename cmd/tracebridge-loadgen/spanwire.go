// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
)

// The few protobuf wire rules findSpanFields needs to find where a marshaled
// ExportTraceServiceRequest keeps its spans' IDs, times and token counts
// (opentelemetry-proto trace/v1/trace.proto, common/v1/common.proto).

const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// Field numbers on the path to a span's fields.
const (
	requestResourceSpans = 1 // ExportTraceServiceRequest.resource_spans
	resourceScopeSpans   = 2 // ResourceSpans.scope_spans
	scopeSpans           = 2 // ScopeSpans.spans
	spanTraceID          = 1
	spanSpanID           = 2
	spanParentSpanID     = 4
	spanStart            = 7 // start_time_unix_nano, fixed64
	spanEnd              = 8 // end_time_unix_nano, fixed64
	spanAttributes       = 9
	keyValueKey          = 1
	keyValueValue        = 2
	anyValueInt          = 3 // AnyValue.int_value, varint
)

// wireField calls fn for each field of the message m, which starts at offset base of the
// whole request, with the field's value and that value's offset (for a bytes field, of its
// content).
func wireField(m []byte, base int, fn func(num, typ int, val []byte, at int) error) error {
	for i := 0; i < len(m); {
		tag, n := uvarint(m[i:])
		if n == 0 {
			return errors.New("bad tag")
		}
		i += n
		num, typ := int(tag>>3), int(tag&7) //nolint:gosec // a field number
		var size int
		switch typ {
		case wireVarint:
			_, size = uvarint(m[i:])
			if size == 0 {
				return errors.New("bad varint")
			}
		case wireFixed64:
			size = 8
		case wireFixed32:
			size = 4
		case wireBytes:
			l, n := uvarint(m[i:])
			if n == 0 || l > uint64(len(m)-i-n) { //nolint:gosec // len is not negative
				return errors.New("bad length")
			}
			i += n
			size = int(l) //nolint:gosec // checked against len(m)
		default:
			return fmt.Errorf("wire type %d", typ)
		}
		if i+size > len(m) {
			return errors.New("field past the message")
		}
		if err := fn(num, typ, m[i:i+size], base+i); err != nil {
			return err
		}
		i += size
	}
	return nil
}

// uvarint reads a varint; n is 0 when there is none.
func uvarint(b []byte) (v uint64, n int) {
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// findSpanFields lists, for every span of the request in order, where its varying fields are.
func findSpanFields(req []byte) ([]spanFields, error) {
	var spans []spanFields
	err := wireField(req, 0, func(num, typ int, rs []byte, at int) error {
		if num != requestResourceSpans || typ != wireBytes {
			return nil
		}
		return wireField(rs, at, func(num, typ int, ss []byte, at int) error {
			if num != resourceScopeSpans || typ != wireBytes {
				return nil
			}
			return wireField(ss, at, func(num, typ int, span []byte, at int) error {
				if num != scopeSpans || typ != wireBytes {
					return nil
				}
				f, err := spanFieldsOf(span, at)
				spans = append(spans, f)
				return err
			})
		})
	})
	return spans, err
}

func spanFieldsOf(span []byte, base int) (spanFields, error) {
	var f spanFields
	err := wireField(span, base, func(num, typ int, val []byte, at int) error {
		switch {
		case num == spanTraceID && len(val) == 16:
			f.traceID = at
		case num == spanSpanID && len(val) == 8:
			f.spanID = at
		case num == spanParentSpanID && len(val) == 8:
			f.parentID = at
		case num == spanStart && typ == wireFixed64:
			f.start = at
		case num == spanEnd && typ == wireFixed64:
			f.end = at
		case num == spanAttributes && typ == wireBytes:
			return tokenField(&f, val, at)
		}
		return nil
	})
	if err == nil && (f.traceID == 0 || f.spanID == 0 || f.start == 0 || f.end == 0 ||
		f.parentID != 0 && (f.inputTokens == 0 || f.outputTokens == 0)) {
		err = fmt.Errorf("span at %d: a field is missing (%+v)", base, f)
	}
	return f, err
}

// tokenField records where the token counts' varints are, when kv is one of them, and checks
// their lengths: 2 bytes for the input count, 1 for the output count.
func tokenField(f *spanFields, kv []byte, base int) error {
	var key string
	at, size := 0, 0
	err := wireField(kv, base, func(num, typ int, val []byte, vat int) error {
		switch {
		case num == keyValueKey && typ == wireBytes:
			key = string(val)
		case num == keyValueValue && typ == wireBytes:
			return wireField(val, vat, func(num, typ int, v []byte, iat int) error {
				if num == anyValueInt && typ == wireVarint {
					at, size = iat, len(v)
				}
				return nil
			})
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case key == "gen_ai.usage.input_tokens" && size == 2:
		f.inputTokens = at
	case key == "gen_ai.usage.output_tokens" && size == 1:
		f.outputTokens = at
	case key == "gen_ai.usage.input_tokens" || key == "gen_ai.usage.output_tokens":
		return fmt.Errorf("%s: a varint of %d bytes", key, size)
	}
	return nil
}
