package smithemu

import (
	"mime"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
)

// The matchers the emulator used before its hand-written ones, kept as the
// oracle the differential tests and fuzz targets below compare against.
var (
	oracleRunPartRE        = regexp.MustCompile(`^(post|patch)\.([0-9a-fA-F-]{36})(?:\.(inputs|outputs|events|error|extra|serialized))?$`)
	oracleFeedbackPartRE   = regexp.MustCompile(`^feedback\.([0-9a-fA-F-]{36})$`)
	oracleAttachmentPartRE = regexp.MustCompile(`^attachment\.([0-9a-fA-F-]{36})\.([^.]+)$`)
	oracleDottedTimeRE     = regexp.MustCompile(`^\d{8}T\d{6}(\d*)$`)
)

func oracleCanonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return strings.ToLower(u.String()), true
}

const oracleID = "0192f0c1-2a3b-7c4d-8e5f-60718293a4b5"

// oracleSeeds are inputs near every branch of the matchers.
var oracleSeeds = []string{
	"", "post", "post.", "patch.", "post." + oracleID, "patch." + oracleID, "POST." + oracleID,
	"post." + strings.ToUpper(oracleID), "post." + oracleID + ".inputs", "post." + oracleID + ".outputs",
	"patch." + oracleID + ".events", "post." + oracleID + ".error", "post." + oracleID + ".extra",
	"post." + oracleID + ".serialized", "post." + oracleID + ".tags", "post." + oracleID + ".", "post." + oracleID + "x",
	"post." + oracleID + ".inputs\n", "post." + oracleID[:35], "post." + oracleID + "0",
	"post.------------------------------------", "post.0192f0c1x2a3b-7c4d-8e5f-60718293a4b5",
	"feedback." + oracleID, "feedback." + oracleID + ".x", "feedback.", "attachment." + oracleID + ".img",
	"attachment." + oracleID + ".", "attachment." + oracleID + ".a.b", "attachment." + oracleID + ".\xff\n",
	"attachment." + oracleID, "attachment." + oracleID + "x.png", oracleID, strings.ToUpper(oracleID),
	"0192F0C1-2A3B-7C4D-8E5F-60718293A4B5", "0192f0c12a3b7c4d8e5f60718293a4b5", "{" + oracleID[1:] + "}",
	"urn:uuid:0192f0c1-2a3b-7c4d-8e5f", "0192f0c1-2a3b-7c4d-8e5f-60718293a4bg", "0192f0c1+2a3b-7c4d-8e5f-60718293a4b5",
	"20260304T050607123456", "20260304T050607", "20260304T0506071234", "20260304T050607123456789",
	"20260304t050607123456", "2026030T4050607123456", "20260304T05060712345a", "２0260304T050607123456",
	"application/json; length=12", "application/json; length=", "application/json; length=1x",
	"Application/JSON; length=3", "application/json;length=3", "application/json; length=3; charset=utf-8",
	"application/json", "text/plain; length=4", "application/json; length=-1", "application/json; length=٣",
}

func checkMatchersAgree(t *testing.T, s string) {
	t.Helper()
	m := oracleRunPartRE.FindStringSubmatch(s)
	event, rawID, field, ok := matchRunPart(s)
	assert.Equal(t, m != nil, ok, "run part %q", s)
	if m != nil && ok {
		assert.Equal(t, []string{m[1], m[2], m[3]}, []string{event, rawID, field}, "run part %q", s)
	}

	assert.Equal(t, oracleFeedbackPartRE.MatchString(s), matchFeedbackPart(s), "feedback part %q", s)

	m = oracleAttachmentPartRE.FindStringSubmatch(s)
	rawID, attName, ok := matchAttachmentPart(s)
	assert.Equal(t, m != nil, ok, "attachment part %q", s)
	if m != nil && ok {
		assert.Equal(t, []string{m[1], m[2]}, []string{rawID, attName}, "attachment part %q", s)
	}

	wantID, wantOK := oracleCanonicalUUID(s)
	gotID, gotOK := canonicalUUID(s)
	assert.Equal(t, wantOK, gotOK, "uuid %q", s)
	assert.Equal(t, wantID, gotID, "uuid %q", s)

	m = oracleDottedTimeRE.FindStringSubmatch(s)
	frac, ok := dottedFraction(s)
	assert.Equal(t, m != nil, ok, "dotted timestamp %q", s)
	if m != nil && ok {
		assert.Equal(t, m[1], frac, "dotted timestamp %q", s)
	}

	wantMT, params, wantErr := mime.ParseMediaType(s)
	gotMT, length, gotErr := partMediaType(s)
	assert.Equal(t, wantErr, gotErr, "media type %q", s)
	assert.Equal(t, wantMT, gotMT, "media type %q", s)
	assert.Equal(t, params["length"], length, "media type %q", s)
}

func TestMatchersAgreeWithOracle(t *testing.T) {
	for _, s := range oracleSeeds {
		checkMatchersAgree(t, s)
	}
}

func FuzzMatchersAgreeWithOracle(f *testing.F) {
	for _, s := range oracleSeeds {
		f.Add(s)
	}
	f.Fuzz(checkMatchersAgree)
}
