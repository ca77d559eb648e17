// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmith // import "github.com/tracebridge/tracebridge/translator/langsmith"

import "github.com/tracebridge/tracebridge/translator/internal/jsonvalid"

// validJSON reports whether b is exactly one JSON value, as json.Valid would. Every attribute
// that may hold JSON passes through here (messages, inputs, outputs, parameters).
func validJSON(b []byte) bool { return jsonvalid.Valid(b) }
