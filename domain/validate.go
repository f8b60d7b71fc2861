package domain

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// unionSorted returns the sorted, duplicate-free union of a and more.
func unionSorted(a []string, more ...string) []string {
	out := append(slices.Clone(a), more...)
	slices.Sort(out)
	return slices.Compact(out)
}

// textField trims s and checks it: required if asked, valid UTF-8, at most max bytes.
func textField(what, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", Errorf(EINVALID, "%s is required", what)
	case !utf8.ValidString(s):
		return "", Errorf(EINVALID, "%s is not valid UTF-8 text", what)
	case len(s) > max:
		return "", Errorf(ETOOLARGE, "%s is %d bytes long; the limit is %d", what, len(s), max)
	}
	return s, nil
}
