package smithemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"regexp"
	"strconv"
)

// Part names accepted on /runs/multipart: <event>.<run_id>[.<field>].
var (
	runPartRE        = regexp.MustCompile(`^(post|patch)\.([0-9a-fA-F-]{36})(?:\.(inputs|outputs|events|error|extra|serialized))?$`)
	feedbackPartRE   = regexp.MustCompile(`^feedback\.([0-9a-fA-F-]{36})$`)
	attachmentPartRE = regexp.MustCompile(`^attachment\.([0-9a-fA-F-]{36})\.([^.]+)$`)
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

	in := &ingestRequest{}
	ops := map[string]*op{} // "post.<id>" -> op
	seen := map[string]bool{}
	fromPart := map[*op]map[string]bool{} // fields given as their own part
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		// NextRawPart: parts are taken byte-exact, no transfer decoding.
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badRequestf("malformed multipart body: %v", err)
		}
		name, data, aerr := readPart(p)
		if aerr != nil {
			return nil, aerr
		}

		if m := runPartRE.FindStringSubmatch(name); m != nil {
			kind := opPost
			if m[1] == "patch" {
				kind = opPatch
			}
			id, ok := canonicalUUID(m[2])
			if !ok {
				return nil, badRequestf("invalid run id in part name %q", name)
			}
			if err := requireJSONPart(p.Header.Get("Content-Type"), name); err != nil {
				return nil, err
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, badRequestf("part %q is not valid JSON: %v", name, err)
			}
			key := kind.String() + "." + id
			o := ops[key]
			if o == nil {
				o = &op{kind: kind, id: id, fields: map[string]any{}, selfDescribing: true}
				ops[key] = o
				in.ops = append(in.ops, o)
			}
			field := m[3]
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
				// whichever comes first on the wire.
				for k, val := range obj {
					if !fromPart[o][k] {
						o.fields[k] = val
					}
				}
			} else {
				if seen[name] {
					return nil, badRequestf("duplicate part %q", name)
				}
				o.fields[field] = v
				if fromPart[o] == nil {
					fromPart[o] = map[string]bool{}
				}
				fromPart[o][field] = true
			}
			seen[name] = true
			continue
		}

		if m := feedbackPartRE.FindStringSubmatch(name); m != nil {
			if err := requireJSONPart(p.Header.Get("Content-Type"), name); err != nil {
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

		if m := attachmentPartRE.FindStringSubmatch(name); m != nil {
			id, ok := canonicalUUID(m[1])
			if !ok {
				return nil, badRequestf("invalid run id in part name %q", name)
			}
			mt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			in.attachments = append(in.attachments, attachmentPart{runID: id, name: m[2], contentType: mt, size: len(data)})
			continue
		}

		return nil, badRequestf("unknown part name %q", name)
	}
	in.sortOps()
	return in, nil
}

// readPart checks the part headers every part must carry and reads its body.
func readPart(p *multipart.Part) (string, []byte, *apiError) {
	name := p.FormName()
	if name == "" {
		return "", nil, badRequestf("multipart part without a form-data name")
	}
	if ce := p.Header.Get("Content-Encoding"); ce != "" {
		return "", nil, badRequestf("part %q: per-part Content-Encoding %q is not supported; compress the whole request", name, ce)
	}
	ct := p.Header.Get("Content-Type")
	if ct == "" {
		return "", nil, badRequestf("part %q has no Content-Type", name)
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, badRequestf("part %q has an invalid Content-Type %q: %v", name, ct, err)
	}
	lengthSrc := p.Header.Get("Content-Length")
	if lengthSrc == "" {
		lengthSrc = params["length"]
	}
	if lengthSrc == "" {
		return "", nil, badRequestf("part %q needs a Content-Length header or a length parameter in its Content-Type", name)
	}
	declared, err := strconv.Atoi(lengthSrc)
	if err != nil || declared < 0 {
		return "", nil, badRequestf("part %q has an invalid length %q", name, lengthSrc)
	}
	data, err := io.ReadAll(p)
	if err != nil {
		return "", nil, badRequestf("malformed multipart body in part %q: %v", name, err)
	}
	if len(data) != declared {
		return "", nil, badRequestf("part %q declares length %d but carries %d bytes", name, declared, len(data))
	}
	return name, data, nil
}

func requireJSONPart(ct, name string) *apiError {
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" {
		return badRequestf("part %q must have Content-Type application/json, got %q", name, ct)
	}
	return nil
}
