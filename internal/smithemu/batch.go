package smithemu

import (
	"bytes"
	"encoding/json"

	"github.com/google/uuid"
)

// parseBatch decodes a /runs/batch body: {"post":[run…],"patch":[run…]}.
func parseBatch(body []byte) (*ingestRequest, *apiError) {
	var b struct {
		Post  []json.RawMessage `json:"post"`
		Patch []json.RawMessage `json:"patch"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, badRequestf("invalid JSON body: %v", err)
	}
	in := &ingestRequest{}
	for _, list := range []struct {
		kind opKind
		runs []json.RawMessage
	}{{opPost, b.Post}, {opPatch, b.Patch}} {
		for i, raw := range list.runs {
			fields, err := decodeRunObject(raw)
			if err != nil {
				return nil, badRequestf("%s[%d]: %s", list.kind, i, err.msg)
			}
			rawID, _ := fields["id"].(string)
			id, ok := canonicalUUID(rawID)
			if !ok {
				return nil, badRequestf("%s[%d]: invalid 'id': %v is not a UUID", list.kind, i, fields["id"])
			}
			in.ops = append(in.ops, &op{kind: list.kind, id: id, fields: fields, selfDescribing: true})
		}
	}
	return in, nil
}

// parseSingleRun decodes the body of POST /runs (pathID == "") or
// PATCH /runs/{id}.
func parseSingleRun(kind opKind, pathID string, body []byte) (*ingestRequest, *apiError) {
	fields, aerr := decodeRunObject(body)
	if aerr != nil {
		return nil, aerr
	}
	var id string
	if pathID != "" {
		c, ok := canonicalUUID(pathID)
		if !ok {
			return nil, badRequestf("invalid run id %q in path", pathID)
		}
		id = c
	}
	if v, present := fields["id"]; present && v != nil {
		s, _ := v.(string)
		c, ok := canonicalUUID(s)
		if !ok {
			return nil, badRequestf("invalid 'id': %v is not a UUID", v)
		}
		if id != "" && c != id {
			return nil, badRequestf("body id %s does not match path id %s", c, id)
		}
		id = c
	}
	if id == "" {
		// The REST route assigns an id when the client sends none.
		id = uuid.NewString()
	}
	fields["id"] = id
	return &ingestRequest{ops: []*op{{kind: kind, id: id, fields: fields}}}, nil
}

func decodeRunObject(raw []byte) (map[string]any, *apiError) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, badRequestf("empty body")
	}
	v, err := decodeRunJSON(raw)
	if err != nil {
		return nil, badRequestf("invalid JSON body: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequestf("a run must be a JSON object")
	}
	return obj, nil
}
