package smithemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
)

// parseMultipart turns a decoded /runs/multipart body into ops. Any malformed
// part rejects the whole request.
func parseMultipart(contentType string, body []byte) (*ingestRequest, *apiError) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, badRequestf("Content-Type must be multipart/form-data, got %q", contentType)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, badRequestf("multipart Content-Type has no boundary")
	}

	type opKey struct {
		kind opKind
		id   string
	}
	// Sized for the parts the body holds when they are known up front (a run's main part and
	// its field parts: about three parts a run in the exporter's bodies).
	next, nparts := newPartReader(body, boundary)
	in := &ingestRequest{ops: make([]*op, 0, nparts/2)}
	ops := make(map[opKey]*op, nparts/2)
	seen := make(map[string]bool, nparts)
	for {
		p, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badRequestf("malformed multipart body: %v", err)
		}
		name, mt, data, aerr := checkPart(p)
		if aerr != nil {
			return nil, aerr
		}

		if event, rawID, field, ok := matchRunPart(name); ok {
			kind := opPost
			if event == "patch" {
				kind = opPatch
			}
			id, ok := canonicalUUID(rawID)
			if !ok {
				return nil, badRequestf("invalid run id in part name %q", name)
			}
			if err := requireJSONPart(mt, p.contentType, name); err != nil {
				return nil, err
			}
			var v any
			if field == "" {
				v, err = decodeRunJSON(data)
			} else {
				v, err = decodeFieldJSON(field, data)
			}
			if err != nil {
				return nil, badRequestf("part %q is not valid JSON: %v", name, err)
			}
			key := opKey{kind, id}
			o := ops[key]
			if o == nil {
				// fields is made by the run's first part: the main part's
				// decoded object, or a map for a field part.
				o = &op{kind: kind, id: id, selfDescribing: true}
				ops[key] = o
				in.ops = append(in.ops, o)
			}
			if field == "" {
				obj, ok := v.(map[string]any)
				if !ok {
					return nil, badRequestf("part %q must be a JSON object", name)
				}
				if seen[name] {
					if kind == opPatch {
						return nil, badRequestf("duplicate part %q", name)
					}
					o.dupMain = true
				}
				if rid, present := obj["id"]; present && rid != nil {
					s, _ := rid.(string)
					if c, ok := canonicalUUID(s); !ok || c != id {
						return nil, badRequestf("part %q carries id %v that does not match its name", name, rid)
					}
				}
				// Field parts win over the same key inlined in the main part,
				// whichever comes first on the wire. Before any other part of the
				// run the decoded object simply becomes the fields: nothing to win over.
				o.mains = append(o.mains, data)
				if len(o.fields) == 0 {
					o.fields = obj
				} else {
					for k, val := range obj {
						if o.fieldParts&fieldPartBit(k) == 0 {
							o.fields[k] = val
						}
					}
				}
			} else {
				if seen[name] {
					return nil, badRequestf("duplicate part %q", name)
				}
				if o.fields == nil {
					o.fields = map[string]any{}
				}
				o.fields[field] = v
				o.fieldParts |= fieldPartBit(field)
				o.parts = append(o.parts, fieldText{field: field, text: data})
			}
			seen[name] = true
			continue
		}

		if matchFeedbackPart(name) {
			if err := requireJSONPart(mt, p.contentType, name); err != nil {
				return nil, err
			}
			var fb map[string]any
			if err := json.Unmarshal(data, &fb); err != nil || fb == nil {
				return nil, badRequestf("part %q must be a JSON object", name)
			}
			if _, ok := fb["trace_id"].(string); !ok {
				return nil, badRequestf("feedback part %q lacks trace_id", name)
			}
			in.feedback = append(in.feedback, fb)
			continue
		}

		if rawID, attName, ok := matchAttachmentPart(name); ok {
			id, ok := canonicalUUID(rawID)
			if !ok {
				return nil, badRequestf("invalid run id in part name %q", name)
			}
			in.attachments = append(in.attachments, attachmentPart{runID: id, name: attName, contentType: mt, size: len(data)})
			continue
		}

		return nil, badRequestf("unknown part name %q", name)
	}
	in.sortOps()
	return in, nil
}

// newPartReader returns the parts of body one by one, io.EOF after the last.
// A body laid out as the SDKs and the exporter write it is split in one scan
// (splitMultipart); any other is read with mime/multipart, whose errors the
// rejections quote.
//
// It also returns how many parts there are when it knows (0 when not).
func newPartReader(body []byte, boundary string) (func() (*wirePart, error), int) {
	if parts, ok := splitMultipart(body, boundary); ok {
		return func() (*wirePart, error) {
			if len(parts) == 0 {
				return nil, io.EOF
			}
			p := &parts[0]
			parts = parts[1:]
			return p, nil
		}, len(parts)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	return func() (*wirePart, error) {
		// NextRawPart: parts are taken byte-exact, no transfer decoding.
		p, err := mr.NextRawPart()
		if err != nil {
			return nil, err
		}
		wp := &wirePart{
			name:            p.FormName(),
			contentType:     p.Header.Get("Content-Type"),
			contentLength:   p.Header.Get("Content-Length"),
			contentEncoding: p.Header.Get("Content-Encoding"),
		}
		wp.data, wp.readErr = io.ReadAll(p)
		return wp, nil
	}, 0
}

// checkPart checks the part headers every part must carry and its length.
// It returns the part's media type as well, parsed once for every later check.
func checkPart(p *wirePart) (name, mediaType string, data []byte, aerr *apiError) {
	name = p.name
	if name == "" {
		return "", "", nil, badRequestf("multipart part without a form-data name")
	}
	if ce := p.contentEncoding; ce != "" {
		return "", "", nil, badRequestf("part %q: per-part Content-Encoding %q is not supported; compress the whole request", name, ce)
	}
	ct := p.contentType
	if ct == "" {
		return "", "", nil, badRequestf("part %q has no Content-Type", name)
	}
	mediaType, length, err := partMediaType(ct)
	if err != nil {
		return "", "", nil, badRequestf("part %q has an invalid Content-Type %q: %v", name, ct, err)
	}
	lengthSrc := p.contentLength
	if lengthSrc == "" {
		lengthSrc = length
	}
	if lengthSrc == "" {
		return "", "", nil, badRequestf("part %q needs a Content-Length header or a length parameter in its Content-Type", name)
	}
	declared, err := strconv.Atoi(lengthSrc)
	if err != nil || declared < 0 {
		return "", "", nil, badRequestf("part %q has an invalid length %q", name, lengthSrc)
	}
	if p.readErr != nil {
		return "", "", nil, badRequestf("malformed multipart body in part %q: %v", name, p.readErr)
	}
	if len(p.data) != declared {
		return "", "", nil, badRequestf("part %q declares length %d but carries %d bytes", name, declared, len(p.data))
	}
	return name, mediaType, p.data, nil
}

// jsonLengthPrefix starts the Content-Type the SDKs and the exporter give
// every JSON part.
const jsonLengthPrefix = "application/json; length="

// partMediaType is mime.ParseMediaType reduced to what a part needs, its media
// type and length parameter, with the exporter's own form
// "application/json; length=<digits>" read without building a parameter map:
// for that form ParseMediaType returns exactly the same.
func partMediaType(ct string) (mediaType, length string, err error) {
	if digits, ok := strings.CutPrefix(ct, jsonLengthPrefix); ok && digits != "" && allDigits(digits) {
		return "application/json", digits, nil
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	return mediaType, params["length"], err
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// requireJSONPart checks a part's media type, mt as checkPart parsed it from ct.
func requireJSONPart(mt, ct, name string) *apiError {
	if mt != "application/json" {
		return badRequestf("part %q must have Content-Type application/json, got %q", name, ct)
	}
	return nil
}
