// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Limits LangSmith documents when /info says nothing (LangSmith's OpenAPI spec, GET /info).
const (
	defaultSizeLimit      = 100
	defaultSizeLimitBytes = 20 << 20
	maxInfoBody           = 64 << 10
	// infoTimeout bounds the /info request (the JS SDK gives it 10 s): uploads wait on it.
	infoTimeout = 10 * time.Second
	// infoRetryInterval is how long a failed /info is not asked again.
	infoRetryInterval = time.Minute
)

// ingestLimits are the batch bounds a LangSmith instance advertises on GET /info.
type ingestLimits struct {
	runsPerRequest  int
	bytesPerRequest int
	multipart       bool
	zstd            bool // instance_flags.zstd_compression_enabled (absent = true)
	// runQuery: the v1 POST /runs/query is served (instance_flags.ch_query_enabled, absent =
	// true as the SDKs read it: _v2_migration_utils.get_query_backend); an instance that
	// queries only through SmithDB answers it 501.
	runQuery bool
}

type infoResponse struct {
	BatchIngestConfig struct {
		UseMultipartEndpoint *bool `json:"use_multipart_endpoint"`
		SizeLimit            int   `json:"size_limit"`
		SizeLimitBytes       int   `json:"size_limit_bytes"`
	} `json:"batch_ingest_config"`
	InstanceFlags struct {
		ZstdCompressionEnabled *bool `json:"zstd_compression_enabled"`
		ChQueryEnabled         *bool `json:"ch_query_enabled"`
	} `json:"instance_flags"`
}

// fetchLimits reads /info once. The SDKs proceed with defaults when it fails, and so do we:
// /info is advice, not a gate.
func (u *uploader) fetchLimits(ctx context.Context) (ingestLimits, error) {
	limits := ingestLimits{runsPerRequest: defaultSizeLimit, bytesPerRequest: defaultSizeLimitBytes, multipart: true, zstd: true, runQuery: true}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.baseURL+"/info", http.NoBody)
	if err != nil {
		return limits, fmt.Errorf("build /info request: %w", err)
	}
	u.setHeaders(req.Header)
	req.Header.Set("Accept", "application/json")
	resp, err := u.do(req)
	if err != nil {
		return limits, fmt.Errorf("get /info: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInfoBody))
	if err != nil {
		return limits, fmt.Errorf("read /info: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return limits, fmt.Errorf("get /info: HTTP %d", resp.StatusCode)
	}
	var info infoResponse
	if err := json.Unmarshal(body, &info); err != nil {
		return limits, fmt.Errorf("decode /info: %w", err)
	}
	cfg := info.BatchIngestConfig
	if cfg.SizeLimit > 0 {
		limits.runsPerRequest = cfg.SizeLimit
	}
	if cfg.SizeLimitBytes > 0 {
		limits.bytesPerRequest = cfg.SizeLimitBytes
	}
	if cfg.UseMultipartEndpoint != nil {
		limits.multipart = *cfg.UseMultipartEndpoint
	}
	if z := info.InstanceFlags.ZstdCompressionEnabled; z != nil {
		// Older self-hosted instances refuse zstd bodies and say so here.
		limits.zstd = *z
	}
	if q := info.InstanceFlags.ChQueryEnabled; q != nil {
		limits.runQuery = *q
	}
	return limits, nil
}
