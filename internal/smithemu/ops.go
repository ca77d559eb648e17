package smithemu

import (
	"strings"
)

type opKind int

const (
	opPost opKind = iota
	opPatch
)

func (k opKind) String() string {
	if k == opPost {
		return "post"
	}
	return "patch"
}

// op is one create (post) or update (patch) of a run, as assembled from a
// request: a multipart post.<id> part plus its field parts, one element of a
// /runs/batch list, or the body of POST /runs or PATCH /runs/{id}.
type op struct {
	kind   opKind
	id     string         // canonical lower-case UUID
	fields map[string]any // decoded run object; field parts merged in

	// mains and parts are the texts a multipart op was read from (its main parts and its field
	// parts, pointing into the body), so that the store can keep them as they came instead of
	// writing the fields out again (opText); modified says the ingest changed a field since.
	mains    [][]byte
	parts    []fieldText
	modified bool

	// fieldParts marks (fieldPartBit) the fields given as a part of their own, which win over
	// the same key inlined in the main part.
	fieldParts uint8

	// dupMain marks a second main part for the same (kind,id) in one
	// multipart body: for posts that is a second create (409).
	dupMain bool
	// selfDescribing ops (multipart, batch) must carry trace_id and
	// dotted_order; POST /runs and PATCH /runs/{id} may omit them.
	selfDescribing bool

	// Filled in by the server while ingesting.
	project string
}

// fieldText is a field part's name and JSON text.
type fieldText struct {
	field string
	text  []byte
}

// set changes a field after the op was read, so that its texts no longer hold it.
func (o *op) set(key string, v any) {
	o.fields[key] = v
	o.modified = true
}

// str returns a string field, or "" when absent, null or not a string.
func (o *op) str(key string) string {
	s, _ := o.fields[key].(string)
	return s
}

// has reports whether a field is present and non-null.
func (o *op) has(key string) bool {
	v, ok := o.fields[key]
	return ok && v != nil
}

// attachmentPart is a multipart attachment.<run_id>.<name> part.
type attachmentPart struct {
	runID       string
	name        string
	contentType string
	size        int
}

// ingestRequest is everything one request asks the store to record.
type ingestRequest struct {
	ops         []*op // posts first, then patches: a patch merges onto a post of the same request
	feedback    []map[string]any
	attachments []attachmentPart
	workspace   string // the key and X-Tenant-Id it came with (query.go)
}

func (in *ingestRequest) counts() (posts, patches int) {
	for _, o := range in.ops {
		if o.kind == opPost {
			posts++
		} else {
			patches++
		}
	}
	return posts, patches
}

// postIDs returns the ids of the runs the request posts, in request order.
func (in *ingestRequest) postIDs() []string {
	ids := make([]string, 0, len(in.ops))
	for _, o := range in.ops {
		if o.kind == opPost {
			ids = append(ids, o.id)
		}
	}
	return ids
}

// sortOps puts posts before patches, keeping arrival order within each kind.
func (in *ingestRequest) sortOps() {
	sorted := make([]*op, 0, len(in.ops))
	for _, k := range []opKind{opPost, opPatch} {
		for _, o := range in.ops {
			if o.kind == k {
				sorted = append(sorted, o)
			}
		}
	}
	in.ops = sorted
}

// canonicalUUID parses a 36-character UUID and returns it lower-cased;
// ok is false for anything else (including the 32-hex and urn forms that
// uuid.Parse would accept, which never appear in dotted_order). It accepts
// exactly what uuid.Parse accepts at that length (hex digits, dashes at 8, 13,
// 18 and 23) without its round trip through bytes, and returns s itself when
// it is already lower-case: it runs several times per ingested run.
func canonicalUUID(s string) (string, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return "", false
	}
	// Each hex digit's class: 1 lower-case or decimal, 3 upper-case, 0 not a hex digit. Their
	// AND keeps bit 0 only when all are digits, their OR bit 1 when one is upper-case.
	all, anyUpper := uint8(1), uint8(0)
	for _, i := range uuidHexPositions {
		c := uuidHexClass[s[i]]
		all &= c
		anyUpper |= c
	}
	if all == 0 {
		return "", false
	}
	if anyUpper&2 != 0 {
		return strings.ToLower(s), true
	}
	return s, true
}

// uuidHexPositions are the indexes of a 36-character UUID's hex digits.
var uuidHexPositions = [32]uint8{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22,
	24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35}

var uuidHexClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = 1
	}
	for c := 'A'; c <= 'F'; c++ {
		t[c] = 3
	}
	return t
}()
