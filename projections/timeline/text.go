package timeline

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Lengths, in runes, of the free text quoted in timeline sentences.
const (
	noteExcerpt   = 80  // note text: the only item content a sentence carries
	reasonExcerpt = 200 // reasons, resolutions and other short statements
	titleExcerpt  = 120 // incident and alert titles, system names
	shortExcerpt  = 80  // identifiers, source names, requested actions
	maxListed     = 10  // organisations named in a list before "and N others"
)

// Text is a sentence, or a part of one, in Vietnamese and in English.
type Text struct {
	Vi string // Vietnamese
	En string // English
}

// bi is the text vi in Vietnamese and en in English.
func bi(vi, en string) Text { return Text{Vi: vi, En: en} }

// same is s in both languages: names, identifiers, quoted free text.
func same(s string) Text { return Text{Vi: s, En: s} }

// cat joins parts one after another, in each language.
func cat(parts ...Text) Text {
	var vi, en strings.Builder
	for _, p := range parts {
		vi.WriteString(p.Vi)
		en.WriteString(p.En)
	}
	return Text{Vi: vi.String(), En: en.String()}
}

// join joins items with sep between them, in each language.
func join(items []Text, sep string) Text {
	vi, en := make([]string, len(items)), make([]string, len(items))
	for i, it := range items {
		vi[i], en[i] = it.Vi, it.En
	}
	return Text{Vi: strings.Join(vi, sep), En: strings.Join(en, sep)}
}

// paren writes list items in parentheses after a space, or nothing.
func paren(items []Text) Text {
	if len(items) == 0 {
		return Text{}
	}
	return cat(same(" ("), join(items, "; "), same(")"))
}

// colonList writes list items after a colon, or nothing.
func colonList(items []Text) Text {
	if len(items) == 0 {
		return Text{}
	}
	return cat(same(": "), join(items, "; "))
}

// end ends both sentences with a full stop, unless one already ends with punctuation.
func (t Text) end() Text { return Text{Vi: endSentence(t.Vi), En: endSentence(t.En)} }

// because appends ": <reason>" when there is one, and ends both sentences.
func (t Text) because(reason string) Text {
	if r := clip(reason, reasonExcerpt); r != "" {
		t = cat(t, same(": "+r))
	}
	return t.end()
}

// endSentence ends a sentence with a full stop unless it already ends with punctuation.
func endSentence(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', '!', '?', '…':
		return s
	}
	return s + "."
}

// clip puts free text on one line (control characters and runs of spaces become one space)
// and shortens it to limit runes, the last being "…".
func clip(s string, limit int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) <= limit {
		return out
	}
	runes := []rune(out)[:limit-1]
	return strings.TrimRightFunc(string(runes), unicode.IsSpace) + "…"
}

// quote is clip in quotation marks, or "" for empty text.
func quote(s string, limit int) string {
	if t := clip(s, limit); t != "" {
		return "“" + t + "”"
	}
	return ""
}

// count writes "1 alert", "3 alerts".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// location is Vietnam's time zone: Asia/Ho_Chi_Minh from the system's zone database, or a
// fixed +07:00 zone named ICT when the database is missing (Vietnam has kept +07:00 since 1975).
var location = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*60*60)
})

// LocalTime returns t in Vietnam's time zone (Asia/Ho_Chi_Minh), as timelines show it.
func LocalTime(t time.Time) time.Time { return t.In(location()) }

// at writes an instant for Vietnamese readers ("14:30 21/11/2026") and for English ones
// ("2026-11-21 14:30 ICT").
func at(t time.Time) Text {
	lt := LocalTime(t)
	return bi(lt.Format("15:04 02/01/2006"), lt.Format("2006-01-02 15:04")+" ICT")
}

// due is " <label> <time>." for a deadline, or nothing when there is none.
func due(vi, en string, deadline time.Time) Text {
	if deadline.IsZero() {
		return Text{}
	}
	return cat(bi(vi, en), at(deadline), same("."))
}

// tlp writes a label as FIRST does: "TLP:AMBER+STRICT".
func tlp(t domain.TLP) string {
	if t == "" {
		return "TLP:?"
	}
	return "TLP:" + strings.ReplaceAll(clip(string(t), shortExcerpt), "_", "+")
}

// tlpNote is " (TLP:…)" after an item that carries its own label, or nothing.
func tlpNote(t domain.TLP) Text {
	if t == "" {
		return Text{}
	}
	return same(" (" + tlp(t) + ")")
}

// lookup translates a code through names; an unknown code is shown as it is, shortened.
func lookup[K ~string](names map[K]Text, code K) Text {
	if t, ok := names[code]; ok {
		return t
	}
	return same(clip(string(code), shortExcerpt))
}

// severities translates severity codes.
var severities = map[domain.Severity]Text{
	domain.SeverityLow:      bi("Thấp", "Low"),
	domain.SeverityMedium:   bi("Trung bình", "Medium"),
	domain.SeverityHigh:     bi("Cao", "High"),
	domain.SeverityCritical: bi("Rất cao", "Critical"),
}
