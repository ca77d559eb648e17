// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadatatest"
	"github.com/tracebridge/tracebridge/internal/smithemu"
)

// TestExporterMetrics checks that the exporter's own metrics count what happened: runs sent,
// a child clamped to its parent's start (clock skew), and a re-sent trace dropped as duplicates.
func TestExporterMetrics(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	emuCfg := smithemu.DefaultConfig()
	emuCfg.APIKeys = map[string]string{testKey: ""}
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = ts.URL
	cfg.APIKey = testKey
	cfg.Project = "exporter-test"
	exp, err := newExporter(context.Background(), metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	td := testTrace(1, 3)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	// The second span starts 5 ms before its parent, as a skewed clock on another host would.
	skewed := spans.At(0).StartTimestamp().AsTime().Add(-5 * time.Millisecond)
	spans.At(1).SetStartTimestamp(pcommon.NewTimestampFromTime(skewed))

	require.NoError(t, exp.ConsumeTraces(context.Background(), cloneTraces(td)))
	require.NoError(t, exp.ConsumeTraces(context.Background(), td)) // the same spans again
	require.Eventually(t, func() bool { return len(emu.Runs("exporter-test")) == 3 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))

	for _, r := range emu.Runs("exporter-test") {
		assert.Equal(t, 1, r.Posts)
	}
	metadatatest.AssertEqualExporterLangsmithRunsSent(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 3, Attributes: attribute.NewSet(attribute.String("operation", "post"))}},
		metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	metadatatest.AssertEqualExporterLangsmithAssemblyClamped(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	metadatatest.AssertEqualExporterLangsmithAssemblyDuplicates(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestExporterLimitMetrics checks the counts of the limit policies: a cut name is a repair, a
// stale trace is isolated and dead-lettered by reason.
func TestExporterLimitMetrics(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	emuCfg := smithemu.DefaultConfig()
	emuCfg.APIKeys = map[string]string{testKey: ""}
	emu := smithemu.New(emuCfg)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = ts.URL
	cfg.APIKey = testKey
	cfg.Project = "exporter-test"
	cfg.DeadLetterDirectory = t.TempDir()
	exp, err := newExporter(context.Background(), metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	good := testTrace(1, 2)
	good.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).SetName(strings.Repeat("x", 200))
	require.NoError(t, exp.ConsumeTraces(context.Background(), merged(good, shiftTrace(testTrace(2, 3), -30*time.Hour))))
	require.Eventually(t, func() bool { return len(emu.Runs("exporter-test")) == 2 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))

	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}
	metadatatest.AssertEqualExporterLangsmithRunsRepaired(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("kind", "name_cut"))}}, opts...)
	metadatatest.AssertEqualExporterLangsmithRunsIsolated(t, tel, []metricdata.DataPoint[int64]{{Value: 3}}, opts...)
	metadatatest.AssertEqualExporterLangsmithRunsDeadLettered(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 3, Attributes: attribute.NewSet(attribute.String("reason", "start_time_window"))}}, opts...)
}
