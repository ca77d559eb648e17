// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadatatest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// The send gate's metrics: a 429 with Retry-After: 2 is one throttled request and one request
// held back for 2 s (on the gate's fake clock); a paced credential reports its rate; a 409 on
// runs LangSmith has costs one answered run query.
func TestSendGateAndRunQueryMetrics(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	g, _ := newTestGate()
	u, emu := uploaderHarness(t, metadatatest.NewSettings(tel), g)

	emu.InjectFaults(smithemu.Fault{Route: smithemu.RouteMultipart, Status: http.StatusTooManyRequests, RetryAfter: 2})
	td := llmSpans(5)
	require.NoError(t, u.pushTraces(context.Background(), firstSpans(td, 2)))
	require.NoError(t, u.pushTraces(context.Background(), td)) // 2 of the 5 are there: 409, query
	require.Len(t, emu.Runs(""), 5)
	g.pace(u.gateKey()).rate = 12.5

	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}
	metadatatest.AssertEqualExporterLangsmithRequestsThrottled(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.Int("status", 429))}}, opts...)
	metadatatest.AssertEqualExporterLangsmithGateWaits(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, opts...)
	metadatatest.AssertEqualExporterLangsmithGateWaitTime(t, tel, []metricdata.DataPoint[float64]{{Value: 2}}, opts...)
	metadatatest.AssertEqualExporterLangsmithGateRate(t, tel, []metricdata.DataPoint[float64]{{Value: 12.5}}, opts...)
	metadatatest.AssertEqualExporterLangsmithRunQueries(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("outcome", "answered"))}}, opts...)
}
