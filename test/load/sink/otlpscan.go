// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"io"
)

// Field numbers of the OTLP trace protos (opentelemetry/proto/collector/trace/v1 and
// trace/v1, resource/v1, common/v1) that scanOTLP reads.
const (
	fieldRequestResourceSpans      = 1    // ExportTraceServiceRequest.resource_spans
	fieldResourceSpansRes          = 1    // ResourceSpans.resource
	fieldResourceSpansScopes       = 2    // ResourceSpans.scope_spans
	fieldResourceSpansDeprecatedIL = 1000 // ResourceSpans.instrumentation_library_spans (deprecated)
	fieldResourceAttributes        = 1    // Resource.attributes
	fieldKeyValueKey               = 1    // KeyValue.key
	fieldKeyValueValue             = 2    // KeyValue.value
	fieldAnyValueString            = 1    // AnyValue.string_value; fields 1 to 7 are its oneof
	fieldAnyValueLastOneof         = 7    // AnyValue.bytes_value
	fieldScopeSpansSpans           = 2    // ScopeSpans.spans
	fieldSpanSpanID                = 2    // Span.span_id
)

// Protobuf wire types.
const (
	wireVarint     = 0
	wireI64        = 1
	wireLen        = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireI32        = 5
)

// scanOTLP reads what the otlp sink records from an ExportTraceServiceRequest's protobuf bytes,
// without decoding it into pdata (which cost the pass-through's sink about as much CPU per span
// as the pass-through itself): the number of spans, and the span IDs of the spans whose
// resource's service.name is probeService, appended to probes. Every body pdata takes, it takes
// with the same count and the same probes (FuzzScanOTLPMatchesPdata): a resource's service.name
// is its first attribute of that key, as pdata's Map.Get finds it, and counts only when its
// value is a string (the value's last oneof field, over all its parts, as pdata merges them); a
// probe span's ID is its last span_id (zero when it has none or an empty one); a ResourceSpans
// without scope_spans has its spans in the deprecated instrumentation_library_spans, where
// pdata's MigrateTraces takes them from.
//
// It checks the protobuf framing of every message it walks into, as pdata frames it (eachField),
// and the length of a probe span's ID; the pass-through's sender is the stock otlp_http
// exporter, so it does not repeat pdata's other checks of fields it skips.
func scanOTLP(b []byte, probeService string, probes [][8]byte) (spans int, _ [][8]byte, err error) {
	err = eachField(b, func(num int32, typ int8, v []byte) error {
		if num != fieldRequestResourceSpans || typ != wireLen {
			return nil
		}
		n, err := scanResourceSpans(v, probeService, &probes)
		spans += n
		return err
	})
	return spans, probes, err
}

func scanResourceSpans(b []byte, probeService string, probes *[][8]byte) (int, error) {
	// The resource may follow its scope spans on the wire (proto fields come in any order):
	// find whether it is the probe service's first, and whether there are scope_spans at all.
	probe, found, scopes := false, false, false
	err := eachField(b, func(num int32, typ int8, v []byte) error {
		if typ != wireLen {
			return nil
		}
		if num == fieldResourceSpansScopes {
			scopes = true
		}
		if num != fieldResourceSpansRes || found {
			return nil
		}
		name, ok, err := serviceName(v)
		if ok {
			found, probe = true, name == probeService
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("resource: %w", err)
	}
	spansField := int32(fieldResourceSpansScopes)
	if !scopes {
		spansField = fieldResourceSpansDeprecatedIL
	}
	spans := 0
	err = eachField(b, func(num int32, typ int8, v []byte) error {
		if num != spansField || typ != wireLen {
			return nil
		}
		return eachField(v, func(num int32, typ int8, span []byte) error {
			if num != fieldScopeSpansSpans || typ != wireLen {
				return nil
			}
			spans++
			if !probe {
				return nil
			}
			return probeSpanID(span, probes)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("scope spans: %w", err)
	}
	return spans, nil
}

// serviceName returns the value of a Resource's first service.name attribute (ok when there is
// one; a value that is not a string is "").
func serviceName(resource []byte) (name string, ok bool, err error) {
	err = eachField(resource, func(num int32, typ int8, kv []byte) error {
		if ok || num != fieldResourceAttributes || typ != wireLen {
			return nil
		}
		isName := false
		var lastOneof int32 // the value's oneof field set last, across every value field
		var str []byte
		if err := eachField(kv, func(num int32, typ int8, v []byte) error {
			switch {
			case num == fieldKeyValueKey && typ == wireLen:
				isName = string(v) == "service.name"
			case num == fieldKeyValueValue && typ == wireLen:
				return eachField(v, func(num int32, typ int8, v []byte) error {
					if num >= fieldAnyValueString && num <= fieldAnyValueLastOneof {
						lastOneof = num
						if num == fieldAnyValueString {
							str = v
						}
					}
					return nil
				})
			}
			return nil
		}); err != nil {
			return err
		}
		if !isName {
			return nil
		}
		ok = true
		if lastOneof == fieldAnyValueString {
			name = string(str)
		}
		return nil
	})
	return name, ok, err
}

var errSpanIDLength = errors.New("span_id is not 8 bytes")

// probeSpanID appends a probe span's ID: its last span_id, as pdata keeps it.
func probeSpanID(span []byte, probes *[][8]byte) error {
	var id [8]byte
	err := eachField(span, func(num int32, typ int8, v []byte) error {
		if num != fieldSpanSpanID || typ != wireLen {
			return nil
		}
		switch len(v) {
		case 0:
			id = [8]byte{}
		case 8:
			id = [8]byte(v)
		default:
			return errSpanIDLength
		}
		return nil
	})
	if err == nil {
		*probes = append(*probes, id)
	}
	return err
}

// eachField calls fn with every field of the message b in wire order: num is the field number
// as pdata reads a tag (the int32 of tag>>3), v a length-delimited field's contents (nil for
// the other wire types, which are only skipped). Fields are framed as pdata's unmarshaler
// frames them (pdata/internal/proto ConsumeTag, ConsumeVarint, ConsumeLen, ConsumeUnknown), so
// every body pdata takes is walked alike: a varint of ten bytes whatever its last, and an
// unknown group that ends at its end-group tag or at the first field inside it that is neither
// a group's start nor its end.
func eachField(b []byte, fn func(num int32, typ int8, v []byte) error) error {
	for pos := 0; pos < len(b); {
		num, typ, next, err := pbTag(b, pos)
		if err != nil {
			return err
		}
		var v []byte
		if typ == wireLen {
			v, pos, err = pbLen(b, next)
		} else {
			pos, err = pbSkip(b, next, typ)
		}
		if err != nil {
			return fmt.Errorf("field %d: %w", num, err)
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

var (
	errVarintOverflow = errors.New("varint overflows 64 bits")
	errEndGroup       = errors.New("unexpected end of group")
)

// pbVarint reads a varint at pos as pdata does: at most ten bytes, the bits past 64 dropped.
func pbVarint(b []byte, pos int) (uint64, int, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= 64 {
			return 0, 0, errVarintOverflow
		}
		if pos >= len(b) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		c := b[pos]
		pos++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, pos, nil
		}
	}
}

func pbTag(b []byte, pos int) (num int32, typ int8, next int, err error) {
	tag, next, err := pbVarint(b, pos)
	if err != nil {
		return 0, 0, 0, err
	}
	num = int32(tag >> 3) //nolint:gosec // truncated as pdata truncates it
	if num <= 0 {
		return 0, 0, 0, fmt.Errorf("illegal field number %d", num)
	}
	return num, int8(tag & 7), next, nil
}

func pbLen(b []byte, pos int) (v []byte, next int, err error) {
	n, pos, err := pbVarint(b, pos)
	if err != nil {
		return nil, 0, err
	}
	if n > uint64(len(b)-pos) { //nolint:gosec // pos <= len(b)
		return nil, 0, io.ErrUnexpectedEOF
	}
	return b[pos : pos+int(n)], pos + int(n), nil //nolint:gosec // checked against len(b)
}

// pbSkip moves past the value of a field of wire type typ (not a length-delimited one) as
// pdata's ConsumeUnknown does, groups included.
func pbSkip(b []byte, pos int, typ int8) (int, error) {
	depth := 0
	for pos < len(b) {
		var err error
		switch typ {
		case wireVarint:
			_, pos, err = pbVarint(b, pos)
			return pos, err
		case wireI64, wireI32:
			size := 8
			if typ == wireI32 {
				size = 4
			}
			if len(b)-pos < size {
				return 0, io.ErrUnexpectedEOF
			}
			return pos + size, nil
		case wireLen:
			_, pos, err = pbLen(b, pos)
			return pos, err
		case wireStartGroup:
			depth++
		case wireEndGroup:
			if depth == 0 {
				return 0, errEndGroup
			}
			depth--
		default:
			return 0, fmt.Errorf("illegal wire type %d", typ)
		}
		if depth == 0 {
			return pos, nil
		}
		if _, typ, pos, err = pbTag(b, pos); err != nil {
			return 0, err
		}
	}
	return 0, io.ErrUnexpectedEOF
}
