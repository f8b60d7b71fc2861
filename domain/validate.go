package domain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unionSorted returns the sorted, duplicate-free union of a and more.
func unionSorted(a []string, more ...string) []string {
	out := append(slices.Clone(a), more...)
	slices.Sort(out)
	return slices.Compact(out)
}

// multiLine is the length above which a text field may hold several lines (notes,
// descriptions, summaries, reasons); shorter ones (ids, names, titles, references) are one line.
const multiLine = 500

// textField trims s and checks it: required if asked, valid UTF-8, at most max bytes, and plain
// text (checkText).
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
	if err := checkText(what, s, max > multiLine); err != nil {
		return "", err
	}
	return s, nil
}

// checkText refuses what has no place in a person's text and would fool a reader: control
// characters (NUL and the like; line breaks and tabs only where several lines are allowed),
// bidirectional overrides (which make text read differently from what it says), and text
// made only of invisible characters such as zero-width spaces.
func checkText(what, s string, lines bool) error {
	visible := false
	for _, r := range s {
		switch {
		case (r == '\n' || r == '\t' || r == '\r') && lines:
		case unicode.IsControl(r):
			return Errorf(EINVALID, "%s contains a control character (U+%04X); remove it", what, r)
		case r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069:
			return Errorf(EINVALID, "%s contains a bidirectional override (U+%04X) that would make it read differently from what it says; remove it", what, r)
		case unicode.Is(unicode.Cf, r) || unicode.IsSpace(r):
		default:
			visible = true
		}
	}
	if s != "" && !visible {
		return Errorf(EINVALID, "%s is made only of invisible characters; write it out", what)
	}
	return nil
}
