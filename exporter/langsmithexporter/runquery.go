// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/translator/langsmith"
)

// A 409 refuses a whole multipart request for any run LangSmith already has, and names none
// (LangSmith's OpenAPI spec; langsmith-sdk#2129). Instead of splitting until each duplicate stands alone
// (about two requests per duplicate), the exporter asks LangSmith which of the request's runs
// it has, with the run query the SDKs' list_runs(run_ids=…) / listRuns({id}) send:
// POST /runs/query {"id": [...], "select": ["id"], "limit": 100}, answered
// {"runs": [{"id": …}, …], "cursors": {"next": …}} (langsmith-sdk python/langsmith/client.py
// list_runs, js/src/client.ts _listRuns). One query per queryBatch ids, never GET /runs/{id}
// per run (30 a minute per key). Only posts are looked up: a run that LangSmith lists was
// created, which is the evidence a 409 on its post needs; whether a patch was applied a listed
// run does not tell, so patches are re-sent and a 409 on them is settled as before.
//
// What the query cannot find is re-sent; LangSmith processes ingestion asynchronously, so a
// run posted a moment ago may not be listed yet: its re-send then meets a 409 again and is
// split as before. Nothing is counted as delivered without LangSmith's word for it.
const (
	// queryBatch is the most ids one query asks for: the v1 query's page size (limit) is at
	// most 100, so a query of 100 ids is answered in one page.
	queryBatch   = 100
	queryTimeout = 10 * time.Second
	// maxQueryBody bounds the answer read: a page of 100 runs selecting only their ids.
	maxQueryBody = 1 << 20
	// queryMaxPages bounds the pages followed for one query (a server paging below limit).
	queryMaxPages = 4
)

var (
	queryAnswered = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "answered")))
	queryFailed   = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "failed")))
)

type runQuery struct {
	ID     []string `json:"id"`
	Select []string `json:"select"`
	Limit  int      `json:"limit"`
	Cursor string   `json:"cursor,omitempty"`
}

type runQueryAnswer struct {
	Runs []struct {
		ID string `json:"id"`
	} `json:"runs"`
	Cursors struct {
		Next *string `json:"next"`
	} `json:"cursors"`
}

// skipKnownInFlight runs before a batch is sent: the posts in it that a previous process had
// in flight when it died (sent, no answer in the ledger) are looked up first, and those
// LangSmith lists are not sent again. That spares the 409 their request would otherwise meet;
// the others are sent as usual (and a 409 on one LangSmith had not listed yet is settled
// as any).
func (u *uploader) skipKnownInFlight(ctx context.Context, b *runBatch) {
	if u.ledger == nil || len(u.ledger.maybe) == 0 || u.noRunQuery.Load() {
		return
	}
	var ids []uuid.UUID
	for i := range b.runs {
		if !b.runs[i].Patch && u.ledger.wasInFlight(&b.runs[i]) {
			ids = append(ids, b.runs[i].ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	known, err := u.knownRuns(ctx, ids)
	if err != nil || len(known) == 0 {
		return
	}
	var found []langsmith.Run
	b.filter(func(r *langsmith.Run) bool {
		if !r.Patch && known[r.ID] {
			found = append(found, *r)
			return false
		}
		return true
	})
	u.ledgerDelivered(ctx, found)
	u.telemetry.ExporterLangsmithRunsAlreadyDelivered.Add(ctx, int64(len(found)))
	u.settled(Conflicted, found, 0, "")
}

// settleByQuery handles a 409 on runs[lo:hi] (more than one run): it asks LangSmith which of
// their posts it has, counts those as delivered, and sends the rest again in one request. It
// reports whether it handled the 409; false leaves it to splitting (the query is unavailable,
// failed, or found none of the posts).
func (u *uploader) settleByQuery(ctx context.Context, st *pushState, lo, hi int) bool {
	if u.noRunQuery.Load() || st.queried > 0 {
		return false
	}
	runs := st.batch.runs[lo:hi]
	var ids []uuid.UUID
	for i := range runs {
		if !runs[i].Patch {
			ids = append(ids, runs[i].ID)
		}
	}
	if len(ids) == 0 {
		return false
	}
	known, err := u.knownRuns(ctx, ids)
	if err != nil {
		u.logger.Debug("run query failed; finding the duplicates by splitting the request", zap.Error(err))
		return false
	}
	if len(known) == 0 {
		return false
	}
	// Known posts to the front; what is left (unknown posts and every patch) keeps its order
	// behind them, so a patch still follows its run's post.
	k := lo + stablePartition(runs, st.batch.spans[lo:hi], func(r *langsmith.Run) bool { return !r.Patch && known[r.ID] })
	u.telemetry.ExporterLangsmithRunsConflicted.Add(ctx, int64(k-lo))
	u.ledgerDelivered(ctx, st.batch.runs[lo:k])
	u.settled(Conflicted, st.batch.runs[lo:k], http.StatusConflict, "")
	if k == hi {
		return true
	}
	st.queried++
	u.sendRange(ctx, st, k, hi)
	st.queried--
	return true
}

// stablePartition moves the runs (and their spans) for which front is true before the others,
// keeping the order within each part, and returns how many went to the front.
func stablePartition(runs []langsmith.Run, spans []spanRef, front func(*langsmith.Run) bool) int {
	order := make([]int, 0, len(runs))
	for i := range runs {
		if front(&runs[i]) {
			order = append(order, i)
		}
	}
	n := len(order)
	for i := range runs {
		if !front(&runs[i]) {
			order = append(order, i)
		}
	}
	reorderRuns(runs, spans, order)
	return n
}

// knownRuns returns which of ids LangSmith has, one query per queryBatch ids.
func (u *uploader) knownRuns(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	known := map[uuid.UUID]bool{}
	for lo := 0; lo < len(ids); lo += queryBatch {
		if err := u.queryRuns(ctx, ids[lo:min(lo+queryBatch, len(ids))], known); err != nil {
			return nil, err
		}
	}
	return known, nil
}

// queryRuns asks for ids (at most queryBatch) and adds the ones listed to known.
func (u *uploader) queryRuns(ctx context.Context, ids []uuid.UUID, known map[uuid.UUID]bool) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	q := runQuery{ID: make([]string, len(ids)), Select: []string{"id"}, Limit: queryBatch}
	asked := make(map[uuid.UUID]bool, len(ids))
	for i, id := range ids {
		q.ID[i] = id.String()
		asked[id] = true
	}
	for range queryMaxPages {
		answer, err := u.postQuery(ctx, &q)
		if err != nil {
			return err
		}
		for _, r := range answer.Runs {
			// Only an id that was asked for counts: an answer that ignored the filter must not
			// make a run delivered.
			if id, err := uuid.Parse(r.ID); err == nil && asked[id] {
				known[id] = true
			}
		}
		if answer.Cursors.Next == nil || *answer.Cursors.Next == "" || len(answer.Runs) == 0 {
			return nil
		}
		q.Cursor = *answer.Cursors.Next
	}
	return nil
}

func (u *uploader) postQuery(ctx context.Context, q *runQuery) (*runQueryAnswer, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("encode run query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.baseURL+"/runs/query", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build run query: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	u.setHeaders(req.Header)
	resp, err := u.do(req)
	if err != nil {
		u.telemetry.ExporterLangsmithRunQueries.Add(ctx, 1, queryFailed)
		return nil, fmt.Errorf("run query: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxQueryBody))
	if err != nil {
		return nil, fmt.Errorf("read run query answer: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	outcome := queryAnswered
	if resp.StatusCode != http.StatusOK {
		outcome = queryFailed
	}
	u.telemetry.ExporterLangsmithRunQueries.Add(ctx, 1, outcome)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		// No such endpoint here, or (501) an instance whose v1 query is switched off: stop
		// asking, splitting still finds the duplicates.
		if !u.noRunQuery.Swap(true) {
			u.logger.Info("LangSmith answers no run query here; duplicates after a restart are found by splitting requests",
				zap.Int("status", resp.StatusCode))
		}
		return nil, fmt.Errorf("run query: HTTP %d", resp.StatusCode)
	default:
		return nil, fmt.Errorf("run query: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw[:min(len(raw), maxErrorBody)]))
	}
	var answer runQueryAnswer
	if err := json.Unmarshal(raw, &answer); err != nil {
		return nil, fmt.Errorf("decode run query answer: %w", err)
	}
	return &answer, nil
}
