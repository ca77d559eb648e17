package smithemu

import (
	"time"

	"go.uber.org/zap"
)

// Defaults mirror what a LangSmith deployment advertises on /info and the
// limits documented for the hosted service.
const (
	DefaultSizeLimit       = 100
	DefaultSizeLimitBytes  = 20 << 20 // 20 MiB, /info batch_ingest_config.size_limit_bytes
	DefaultSizeSlackBytes  = 1 << 20  // room for multipart framing on top of the SDK-side budget
	DefaultMaxRunsPerTrace = 25000
	DefaultTimeWindow      = 24 * time.Hour
	DefaultMaxNameLength   = 128 // characters (code points), as the service's schema counts them
)

// Config configures a Server. Start from DefaultConfig; the zero value is also
// usable (limits fall back to the defaults above, time-window check off).
type Config struct {
	// APIKeys maps each accepted x-api-key to the project it is bound to
	// ("" = may write to any project). Empty map: authentication is off.
	APIKeys map[string]string

	// SizeLimit is /info batch_ingest_config.size_limit (ops per batch hint).
	SizeLimit int
	// SizeLimitBytes is /info size_limit_bytes and the body cap: a raw or
	// decompressed body larger than SizeLimitBytes+SizeSlackBytes gets 413.
	SizeLimitBytes int64
	SizeSlackBytes int64
	// NoSizeLimit accepts bodies of any size (/info still advertises
	// SizeLimitBytes).
	NoSizeLimit bool

	// DisableMultipart answers 404 on /runs/multipart, as an old deployment
	// would, so clients exercise their /runs/batch fallback.
	DisableMultipart bool
	// AdvertiseNoMultipart makes /info say use_multipart_endpoint:false.
	AdvertiseNoMultipart bool
	// DisableZstd makes /info say zstd_compression_enabled:false (zstd
	// bodies are still decoded).
	DisableZstd bool
	// GzipBodyEnabled makes /info say gzip_body_enabled:true (the JS SDK
	// then gzips multipart bodies).
	GzipBodyEnabled bool
	// UncompressedOnly behaves like an older self-hosted instance: /info says
	// zstd_compression_enabled:false and gzip_body_enabled:false, and a body
	// with Content-Encoding zstd or gzip is refused (400).
	UncompressedOnly bool

	// MaxRunsPerTrace caps distinct runs per trace (0 = 25,000, < 0 = no cap).
	MaxRunsPerTrace int
	// MaxNameLength caps a run's name in characters; a longer one is a 422
	// (0 = 128, < 0 = no cap).
	MaxNameLength int

	// CheckTimeWindow rejects runs whose start_time is further than
	// TimeWindow (0 = 24h) from Now.
	CheckTimeWindow bool
	TimeWindow      time.Duration

	// Now is the clock for the time window and the rate limiter (nil = time.Now).
	Now func() time.Time

	// Logger receives one debug line per request and an info line per
	// rejection (nil = no logs).
	Logger *zap.Logger

	// OnTraceComplete, if set, is called (outside the server's lock, before
	// the response is written) whenever a trace becomes complete: its root
	// has ended and every known run of the trace has ended. It is called
	// again each time a complete trace changes.
	OnTraceComplete func(project string, root *TreeNode)

	// OnAccepted, if set, is called (outside the server's lock, before the
	// response is written) for each ingest request whose runs were stored, with
	// the ids of the runs it posted (canonical, posts in request order), so that
	// a caller can record what was accepted without reading the body again.
	OnAccepted func(postIDs []string)
}

// DefaultConfig returns the configuration of a stock deployment: no auth,
// 20 MiB bodies, multipart and zstd advertised, 24 h time window on, names
// up to 128 characters, 25,000 runs per trace.
func DefaultConfig() Config {
	return Config{
		SizeLimit:       DefaultSizeLimit,
		SizeLimitBytes:  DefaultSizeLimitBytes,
		SizeSlackBytes:  DefaultSizeSlackBytes,
		MaxRunsPerTrace: DefaultMaxRunsPerTrace,
		MaxNameLength:   DefaultMaxNameLength,
		CheckTimeWindow: true,
		TimeWindow:      DefaultTimeWindow,
	}
}

func (c *Config) applyDefaults() {
	if c.SizeLimit <= 0 {
		c.SizeLimit = DefaultSizeLimit
	}
	if c.SizeLimitBytes <= 0 {
		c.SizeLimitBytes = DefaultSizeLimitBytes
	}
	if c.SizeSlackBytes < 0 {
		c.SizeSlackBytes = 0
	}
	if c.MaxRunsPerTrace == 0 {
		c.MaxRunsPerTrace = DefaultMaxRunsPerTrace
	}
	if c.MaxNameLength == 0 {
		c.MaxNameLength = DefaultMaxNameLength
	}
	if c.TimeWindow <= 0 {
		c.TimeWindow = DefaultTimeWindow
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}
