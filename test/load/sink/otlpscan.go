// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the OTLP trace protos (opentelemetry/proto/collector/trace/v1 and
// trace/v1, resource/v1, common/v1) that scanOTLP reads.
const (
	fieldRequestResourceSpans = 1 // ExportTraceServiceRequest.resource_spans
	fieldResourceSpansRes     = 1 // ResourceSpans.resource
	fieldResourceSpansScopes  = 2 // ResourceSpans.scope_spans
	fieldResourceAttributes   = 1 // Resource.attributes
	fieldKeyValueKey          = 1 // KeyValue.key
	fieldKeyValueValue        = 2 // KeyValue.value
	fieldAnyValueString       = 1 // AnyValue.string_value
	fieldScopeSpansSpans      = 2 // ScopeSpans.spans
	fieldSpanSpanID           = 2 // Span.span_id
)

// scanOTLP reads what the otlp sink records from an ExportTraceServiceRequest's protobuf bytes,
// without decoding it into pdata (which cost the pass-through's sink about as much CPU per span
// as the pass-through itself): the number of spans, and the span IDs of the spans whose
// resource's service.name is probeService, appended to probes. A resource's service.name is its
// first attribute of that key, as pdata's Map.Get finds it, and counts only when it is a string.
//
// It checks the protobuf framing of every message it walks into (tags, lengths, field types) and
// the length of a probe span's ID; the pass-through's sender is the stock otlp_http exporter, so
// it does not repeat pdata's other checks of fields it skips.
func scanOTLP(b []byte, probeService string, probes [][8]byte) (spans int, _ [][8]byte, err error) {
	err = eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != fieldRequestResourceSpans || typ != protowire.BytesType {
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
	// find whether it is the probe service's first.
	probe := false
	found := false
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != fieldResourceSpansRes || typ != protowire.BytesType || found {
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
	spans := 0
	err = eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != fieldResourceSpansScopes || typ != protowire.BytesType {
			return nil
		}
		return eachField(v, func(num protowire.Number, typ protowire.Type, span []byte) error {
			if num != fieldScopeSpansSpans || typ != protowire.BytesType {
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
	err = eachField(resource, func(num protowire.Number, typ protowire.Type, kv []byte) error {
		if ok || num != fieldResourceAttributes || typ != protowire.BytesType {
			return nil
		}
		var key string
		var value []byte
		if err := eachField(kv, func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch {
			case num == fieldKeyValueKey && typ == protowire.BytesType:
				key = string(v)
			case num == fieldKeyValueValue && typ == protowire.BytesType:
				value = v
			}
			return nil
		}); err != nil {
			return err
		}
		if key != "service.name" {
			return nil
		}
		ok = true
		return eachField(value, func(num protowire.Number, typ protowire.Type, v []byte) error {
			if num == fieldAnyValueString && typ == protowire.BytesType {
				name = string(v)
			}
			return nil
		})
	})
	return name, ok, err
}

var errSpanIDLength = errors.New("span_id is not 8 bytes")

func probeSpanID(span []byte, probes *[][8]byte) error {
	return eachField(span, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != fieldSpanSpanID || typ != protowire.BytesType {
			return nil
		}
		if len(v) != 8 {
			return errSpanIDLength
		}
		*probes = append(*probes, [8]byte(v))
		return nil
	})
}

// eachField calls fn with every field of the message b in wire order; v is a length-delimited
// field's contents (nil for the other wire types, which are only skipped).
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}
