// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"net/http"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/exporter"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// Outcome is what became of runs the uploader sent.
type Outcome uint8

const (
	// Delivered: LangSmith took the runs (a 2xx answer).
	Delivered Outcome = iota + 1
	// Conflicted: LangSmith has the runs already: a 409 for a run alone, the run query listed
	// it, or the delivered ledger recorded it before a restart.
	Conflicted
	// Refused: LangSmith will never take the runs (or they cannot be uploaded), and they were
	// dropped: there is no dead_letter_directory, or it could not be written.
	Refused
	// DeadLettered: refused, and written to dead_letter_directory.
	DeadLettered
)

// Settlement is the outcome of a group of runs.
type Settlement struct {
	Outcome Outcome
	// Runs are the runs' ids; the slice is only valid during the call.
	Runs []uuid.UUID
	// Status is LangSmith's answer; 0 when the runs were never sent (a limit, or unencodable).
	Status int
	// Reason says why the runs were refused (Refused, DeadLettered), as a dead letter does.
	Reason string
}

// Observer learns what the uploader's requests did: whether LangSmith answers at all, and the
// outcome of every run it settles (runs to be retried are settled by a later attempt). A program
// that embeds the exporter (the replay's --direct mode) reports deliveries from it. Calls come
// from the queue's consumers, concurrently, and must return quickly.
type Observer interface {
	// Answered reports the answer to one of the exporter's requests (/info, an upload, a run
	// query): its status, or err when none came (a transport error).
	Answered(status int, err error)
	// Settled reports the outcome of runs.
	Settled(s Settlement)
}

// NewFactoryWithObserver is NewFactory for a program that embeds the exporter: obs learns the
// outcome of every run the exporter (each of its tenants) sends.
func NewFactoryWithObserver(obs Observer) exporter.Factory { return newFactory(obs) }

// settled tells the observer, if any, the outcome of runs.
func (u *uploader) settled(outcome Outcome, runs []langsmith.Run, status int, reason string) {
	if u.observer == nil || len(runs) == 0 {
		return
	}
	ids := make([]uuid.UUID, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
	}
	u.observer.Settled(Settlement{Outcome: outcome, Runs: ids, Status: status, Reason: reason})
}

// do sends req with the exporter's HTTP client, and tells the observer, if any, what came back:
// every request (/info, uploads, run queries), as a transport middleware would see them.
func (u *uploader) do(req *http.Request) (*http.Response, error) {
	resp, err := u.client.Do(req)
	if u.observer != nil {
		if err != nil {
			u.observer.Answered(0, err)
		} else {
			u.observer.Answered(resp.StatusCode, nil)
		}
	}
	return resp, err
}
