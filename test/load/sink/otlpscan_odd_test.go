// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// Hand-built messages for the bodies below (field numbers as in otlpscan.go).
func pbBytes(b []byte, num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

func pbMessage(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func pbField(num protowire.Number, v []byte) []byte { return pbBytes(nil, num, v) }

func anyString(s string) []byte { return pbField(fieldAnyValueString, []byte(s)) }

func anyInt(v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), v)
}

func keyValue(key string, values ...[]byte) []byte {
	kv := pbField(fieldKeyValueKey, []byte(key))
	for _, v := range values {
		kv = append(kv, pbField(fieldKeyValueValue, v)...)
	}
	return kv
}

// request is an ExportTraceServiceRequest of one ResourceSpans with the given resource
// attributes (KeyValue messages) and ScopeSpans messages.
func request(resource [][]byte, scopes ...[]byte) []byte {
	var res []byte
	for _, kv := range resource {
		res = append(res, pbField(fieldResourceAttributes, kv)...)
	}
	rs := pbField(fieldResourceSpansRes, res)
	for _, ss := range scopes {
		rs = append(rs, pbField(fieldResourceSpansScopes, ss)...)
	}
	return pbField(fieldRequestResourceSpans, rs)
}

// scope is a ScopeSpans message of the given Span messages.
func scope(spans ...[]byte) []byte {
	var b []byte
	for _, s := range spans {
		b = append(b, pbField(fieldScopeSpansSpans, s)...)
	}
	return b
}

func spanWithIDs(ids ...[]byte) []byte {
	var b []byte
	for _, id := range ids {
		b = append(b, pbField(fieldSpanSpanID, id)...)
	}
	return b
}

var probeName = [][]byte{keyValue("service.name", anyString("loadtest-probe"))}

// TestScanOTLPAgreesWithPdataOnOddBodies: bodies the stock exporter never sends but pdata takes
// (the old sink's decoder, still the pass-through collector's), which scanOTLP must count and
// record alike rather than refuse (FuzzScanOTLPMatchesPdata found the first).
func TestScanOTLPAgreesWithPdataOnOddBodies(t *testing.T) {
	id := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	id2 := []byte{9, 9, 9, 9, 9, 9, 9, 9}
	// An unknown group that pdata ends at its first field that is not a group's start or end
	// (proto.ConsumeUnknown), with no end-group tag at all.
	group := protowire.AppendTag(nil, 783, protowire.StartGroupType)
	group = pbBytes(group, 6, []byte("000"))
	// A varint whose tenth byte is above 1: pdata drops the bits past 64.
	var longVarint []byte
	longVarint = protowire.AppendTag(longVarint, 99, protowire.VarintType)
	longVarint = append(longVarint, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
	// A tag whose field number is 2^32+2: pdata reads it as an int32, field 2 (scope_spans).
	wrapped := protowire.AppendVarint(nil, uint64(1<<32+fieldResourceSpansScopes)<<3|uint64(protowire.BytesType))
	wrapped = protowire.AppendBytes(wrapped, scope(spanWithIDs(id)))
	// The deprecated instrumentation_library_spans (1000), which pdata moves into scope_spans
	// when a ResourceSpans has none.
	deprecated := pbField(fieldRequestResourceSpans, pbMessage(
		pbField(fieldResourceSpansRes, pbField(fieldResourceAttributes, probeName[0])),
		pbField(1000, scope(spanWithIDs(id), spanWithIDs(id2)))))

	tests := []struct {
		name string
		body []byte
	}{
		{name: "unterminated unknown group in a resource attribute",
			body: request([][]byte{append(keyValue("service.name", anyString("loadtest-probe")), group...)}, scope(spanWithIDs(id)))},
		{name: "unknown group in a probe span", body: request(probeName, scope(append(spanWithIDs(id), group...)))},
		{name: "ten-byte varint in a probe span", body: request(probeName, scope(append(spanWithIDs(id), longVarint...)))},
		{name: "field number past int32", body: pbField(fieldRequestResourceSpans, append(pbField(fieldResourceSpansRes,
			pbField(fieldResourceAttributes, probeName[0])), wrapped...))},
		{name: "probe span without span_id", body: request(probeName, scope(spanWithIDs(), spanWithIDs(id)))},
		{name: "probe span with an empty span_id", body: request(probeName, scope(spanWithIDs([]byte{})))},
		{name: "probe span_id given twice", body: request(probeName, scope(spanWithIDs(id, id2)))},
		{name: "service.name a string, then an int", body: request([][]byte{keyValue("service.name", pbMessage(anyString("loadtest-probe"), anyInt(3)))}, scope(spanWithIDs(id)))},
		{name: "service.name an int, then a string", body: request([][]byte{keyValue("service.name", pbMessage(anyInt(3), anyString("loadtest-probe")))}, scope(spanWithIDs(id)))},
		{name: "service.name value in two parts", body: request([][]byte{keyValue("service.name", anyString("loadtest-probe"), pbField(9, nil))}, scope(spanWithIDs(id)))},
		{name: "service.name value in two parts, int last", body: request([][]byte{keyValue("service.name", anyString("loadtest-probe"), anyInt(1))}, scope(spanWithIDs(id)))},
		{name: "deprecated instrumentation_library_spans", body: deprecated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantSpans, wantProbes, err := pdataOTLP(tt.body, "loadtest-probe")
			require.NoError(t, err, "pdata takes it")
			spans, probes, err := scanOTLP(tt.body, "loadtest-probe", nil)
			require.NoError(t, err)
			assert.Equal(t, wantSpans, spans, "spans")
			assert.Equal(t, wantProbes, probes, "probes")
		})
	}
}
