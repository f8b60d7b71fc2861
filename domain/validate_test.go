package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestTextFieldsRefuseWhatFoolsAReader(t *testing.T) {
	cases := []struct {
		name, text string
		max        int
		ok         bool
	}{
		{"plain Vietnamese", "Mã độc tống tiền tại bệnh viện", 300, true},
		{"a NUL", "Tấn công\u0000", 300, false},
		{"only NULs", "\u0000\u0000", 300, false},
		{"only zero-width spaces", "\u200b\u200b\u200c", 300, false},
		{"a zero-width joiner inside a word is text", "ab\u200dcd", 300, true},
		{"a bidirectional override", "invoice\u202Efdp.exe", 300, false},
		{"an isolate", "x\u2066y", 300, false},
		{"DEL", "x\u007fy", 300, false},
		{"a C1 control", "x\u0085y", 300, false},
		{"a line break in a one-line field", "line one\nline two", 300, false},
		{"line breaks in a note", "line one\nline two\n\tindented", 20000, true},
		{"a bell in a note", "ring\u0007", 20000, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := textField("text", tc.text, tc.max, true)
			is.Equal(err == nil, tc.ok) // accepted or refused
			if !tc.ok {
				is.Equal(ErrorCode(err), EINVALID)                      // coded
				is.True(strings.Contains(ErrorMessage(err), "text "))   // names the field
				is.True(!strings.Contains(ErrorMessage(err), "\u0000")) // without echoing it
			}
		})
	}
}

func TestOpenRefusesInvisibleTitles(t *testing.T) {
	is := is.New(t)
	for _, title := range []string{"\u0000\u0000\u0000", "\u200b\u200b", "\ufeff"} {
		i := NewIncident("i1")
		err := Execute(i, Invocation{Actor: by.DICCoord, Now: incNow, Config: testConfig(t)},
			OpenIncident{Title: title, Type: "MALWARE", Severity: SeverityHigh, TLP: TLPAmber, DetectedAt: incEarlier})
		is.Equal(ErrorCode(err), EINVALID) // refused
		is.Equal(len(i.Changes()), 0)      // nothing recorded
	}
}

func TestSuppressionMustNameWhatItSuppresses(t *testing.T) {
	is := is.New(t)
	s := NewSuppression("sup-1")
	in := alertInvAt(alertTestCoord, alertTestNow)
	err := Execute(s, in, SetSuppression{Source: "soc-dic", Until: alertTestNow.Add(time.Hour), Reason: "mute the whole SOC"})
	is.Equal(ErrorCode(err), EINVALID) // a rule that names nothing would mute the whole source
	is.True(strings.Contains(ErrorMessage(err), "asset, an indicator or a rule id"))
	is.Equal(len(s.Changes()), 0) // nothing recorded
	is.NoErr(Execute(s, in, SetSuppression{Source: "soc-dic", RuleID: "scan-42", Until: alertTestNow.Add(time.Hour), Reason: "noisy rule"}))
}
