// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langfusereceiver // import "github.com/tracebridge/tracebridge/receiver/langfusereceiver"

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/tracebridge/tracebridge/internal/tenantauth"
)

// apiKeys checks X-API-Key values. Keys are kept as SHA-256 digests and every digest is
// compared on every lookup, so the time a lookup takes says nothing about how much of a guess
// was right, nor which key matched, nor how long the keys are.
type apiKeys struct {
	entries []apiKeyEntry
}

type apiKeyEntry struct {
	digest [sha256.Size]byte
	auth   *tenantauth.Auth
}

func newAPIKeys(keys []APIKey) apiKeys {
	entries := make([]apiKeyEntry, len(keys))
	for i, k := range keys {
		entries[i] = apiKeyEntry{digest: sha256.Sum256([]byte(k.Key)), auth: tenantauth.New(k.Tenant, k.Project)}
	}
	return apiKeys{entries: entries}
}

// enabled reports whether any key is configured; with none, requests are not checked here
// (Validate then requires an `auth` extension instead).
func (k *apiKeys) enabled() bool { return len(k.entries) > 0 }

// lookup returns the identity of key (its tenant or pinned project, if any) and whether key is known.
func (k *apiKeys) lookup(key string) (identity *tenantauth.Auth, ok bool) {
	digest := sha256.Sum256([]byte(key))
	match := -1
	for i := range k.entries {
		if subtle.ConstantTimeCompare(digest[:], k.entries[i].digest[:]) == 1 {
			match = i // no early exit: keep the loop's length independent of the match
		}
	}
	if match < 0 {
		return nil, false
	}
	return k.entries[match].auth, true
}
