// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package textenum reads the string enums of the components' configuration (policies, modes)
// from YAML with one rule and one error wording: the value must be one of those allowed.
package textenum // import "github.com/tracebridge/tracebridge/internal/textenum"

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse returns text as a T if it is one of allowed; otherwise an error naming what was read
// ("unknown orphan policy \"drop\": want \"reparent_to_root\" or \"own_root\"").
func Parse[T ~string](text []byte, what string, allowed ...T) (T, error) {
	v := T(text)
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		if a == v {
			return v, nil
		}
		quoted[i] = strconv.Quote(string(a))
	}
	want := strings.Join(quoted, " or ")
	if len(quoted) > 2 {
		want = strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
	}
	return "", fmt.Errorf("unknown %s %q: want %s", what, text, want)
}
