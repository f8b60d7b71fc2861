package timeline

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/matryer/is"
)

var (
	testCfg = domain.DefaultConfig()
	// testDeadline is 14:30 on 21 November 2026 in Vietnam.
	testDeadline = time.Date(2026, 11, 21, 7, 30, 0, 0, time.UTC)
	testAt       = time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)

	testDIC     = domain.Actor{User: "lan.nguyen", Org: "dic", Role: domain.RoleCoordinator}
	testPolice  = domain.Actor{User: "tuan.le", Org: "police", Role: domain.RoleCoordinator}
	testCERT    = domain.Actor{User: "minh.hoang", Org: "cert-health", Role: domain.RoleCoordinator}
	testSub     = domain.Actor{User: "thao.vu", Org: "subcommittee", Role: domain.RoleCoordinator}
	testAdmin   = domain.Actor{User: "quantri", Org: "dic", Role: domain.RoleAdmin}
	testIngest  = domain.Actor{User: "wazuh-feed", Org: "soc-dic", Role: domain.RoleIngest}
	testSecrets = []string{"Trần Văn Hùng", "Phó Giám đốc", "+84 912 345 678", "912 345", "hung.tv@dic.example.gov.vn",
		"Lê Thị Mai", "0236 3822 111", "mai.lt@dic.example.gov.vn"}
)

// testOrg returns the Vietnamese and English names of an organisation of the default directory.
func testOrg(t *testing.T, slug string) (vi, en string) {
	t.Helper()
	o, ok := testCfg.Org(slug)
	if !ok {
		t.Fatalf("organisation %q is not in the default configuration", slug)
	}
	return o.NameVi, o.NameEn
}

type testCase struct {
	name   string
	event  domain.Event
	actor  domain.Actor
	orgs   []string // organisations whose names both sentences must carry, besides the actor's
	vi, en []string // further text each sentence must carry
	absent []string // text neither sentence may carry
}

// viEn splits a sentence into its Vietnamese and English texts.
func viEn(s Text) (vi, en string) { return s.Vi, s.En }

// testCases are the timeline cases of every event type, with the text each sentence must and
// must not carry.
func testCases() []testCase {
	return slices.Concat(incidentTestCases(), escalationTestCases(), handoffTestCases(),
		reportingTestCases(), alertTestCases(), identityTestCases(), webhookTestCases(), evidenceTestCases(), reviewTestCases())
}

func TestSentenceEveryEvent(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			vi, en := viEn(Sentence(c.event, c.actor, testCfg))
			t.Logf("vi: %s", vi)
			t.Logf("en: %s", en)
			is.True(vi != "")                    // Vietnamese sentence
			is.True(en != "")                    // English sentence
			is.True(!strings.Contains(vi, "%!")) // no formatting error in Vietnamese
			is.True(!strings.Contains(en, "%!")) // no formatting error in English
			is.True(strings.HasSuffix(vi, "."))  // Vietnamese sentence ends with a full stop
			is.True(strings.HasSuffix(en, "."))  // English sentence ends with a full stop
			is.True(utf8.ValidString(vi))        // valid UTF-8
			is.True(!strings.Contains(vi, "\n")) // one line
			is.True(!strings.Contains(en, "\n")) // one line
			typ := c.event.EventType()
			is.True(!strings.Contains(vi, typ)) // a specific sentence, not the generic one
			is.True(!strings.Contains(en, typ)) // a specific sentence, not the generic one

			avi, aen := testOrg(t, c.actor.Org)
			is.True(strings.HasPrefix(vi, c.actor.User+" ("+avi+") ")) // Vietnamese starts with the actor and organisation
			is.True(strings.HasPrefix(en, c.actor.User+" ("+aen+") ")) // English starts with the actor and organisation
			for _, slug := range c.orgs {
				ovi, oen := testOrg(t, slug)
				if !strings.Contains(vi, ovi) {
					t.Errorf("Vietnamese sentence does not name %s (%s)", slug, ovi)
				}
				if !strings.Contains(en, oen) {
					t.Errorf("English sentence does not name %s (%s)", slug, oen)
				}
			}
			for _, w := range c.vi {
				if !strings.Contains(vi, w) {
					t.Errorf("Vietnamese sentence lacks %q", w)
				}
			}
			for _, w := range c.en {
				if !strings.Contains(en, w) {
					t.Errorf("English sentence lacks %q", w)
				}
			}
			for _, w := range c.absent {
				if strings.Contains(vi, w) || strings.Contains(en, w) {
					t.Errorf("a sentence contains %q, which must stay out of the timeline", w)
				}
			}
		})
	}
}

func TestSentenceCoversEveryRegisteredEvent(t *testing.T) {
	is := is.New(t)
	covered := map[string]bool{}
	for _, c := range testCases() {
		covered[c.event.EventType()] = true
	}
	var registered []string
	for _, tv := range domain.EventTypes() {
		name, _, _ := strings.Cut(tv, "@")
		registered = append(registered, name)
		if !covered[name] {
			t.Errorf("event type %s is registered in package domain but has no timeline test case", name)
		}
	}
	is.True(len(registered) >= 30) // every incident, alert, user, token and organisation event is registered
	for name := range covered {
		is.True(slices.Contains(registered, name)) // test case for an event type that is not registered
	}
}

func TestTableCoversEveryRegisteredEvent(t *testing.T) {
	is := is.New(t)
	is.Equal(len(table), len(entries)) // one entry per event type: none listed twice
	registered := map[string]bool{}
	for _, tv := range domain.EventTypes() {
		name, _, _ := strings.Cut(tv, "@")
		registered[name] = true
		if table[name] == nil {
			t.Errorf("event type %s is registered in package domain but has no sentence in the table", name)
		}
	}
	for name := range table {
		if !registered[name] {
			t.Errorf("the table has a sentence for %s, which package domain does not register", name)
		}
	}
}

func TestTableEntriesReadTheirType(t *testing.T) {
	for _, tv := range domain.EventTypes() {
		name, v, _ := strings.Cut(tv, "@v")
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			version, err := strconv.Atoi(v)
			is.NoErr(err) // schema version
			e, err := domain.DecodeEvent(name, version, []byte("{}"))
			is.NoErr(err) // zero event of the type
			for _, ev := range []domain.Event{e, pointerTo(e)} {
				s := Sentence(ev, testDIC, nil)
				is.True(!strings.Contains(s.Vi, "đã ghi nhận sự kiện loại"))  // the table's sentence, not the generic one
				is.True(!strings.Contains(s.En, "recorded an event of type")) // the table's sentence, not the generic one
			}
		})
	}
}

func TestSentencePointerReadsLikeValue(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			p := pointerTo(c.event)
			is.Equal(Sentence(p, c.actor, testCfg), Sentence(c.event, c.actor, testCfg))               // *T reads like T
			is.Equal(Sentence(p, domain.Actor{}, testCfg), Sentence(c.event, domain.Actor{}, testCfg)) // the stamp's actor through a pointer
		})
	}
}

// pointerTo returns a pointer to a copy of the event e holds.
func pointerTo(e domain.Event) domain.Event {
	p := reflect.New(reflect.TypeOf(e))
	p.Elem().Set(reflect.ValueOf(e))
	return p.Interface().(domain.Event)
}

// testUnknown is an event type the timeline does not know.
type testUnknown struct {
	domain.Stamp
}

func (testUnknown) EventType() string { return "ExerciseScheduled" }

func TestSentenceUnknownEvent(t *testing.T) {
	t.Run("unknown type is named", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence(testUnknown{}, testPolice, testCfg))
		pvi, pen := testOrg(t, "police")
		is.Equal(vi, "tuan.le ("+pvi+") đã ghi nhận sự kiện loại ExerciseScheduled.")  // generic Vietnamese sentence
		is.Equal(en, "tuan.le ("+pen+") recorded an event of type ExerciseScheduled.") // generic English sentence
	})
	t.Run("nil event", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence(nil, testPolice, testCfg))
		is.True(strings.Contains(vi, "sự kiện không xác định")) // Vietnamese
		is.True(strings.Contains(en, "unknown event"))          // English
	})
	t.Run("nil pointer to an event", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence((*domain.NoteAdded)(nil), testPolice, testCfg))
		is.True(strings.Contains(vi, "NoteAdded")) // names the type without panicking
		is.True(strings.Contains(en, "NoteAdded")) // names the type without panicking
	})
	t.Run("pointer to an event reads like the value", func(t *testing.T) {
		is := is.New(t)
		e := domain.HandoffAccepted{HandoffID: "ho-1", Stamp: domain.Stamp{By: testCERT, At: testAt}}
		vi, en := viEn(Sentence(&e, testCERT, testCfg))
		wvi, wen := viEn(Sentence(e, testCERT, testCfg))
		is.Equal(vi, wvi) // Vietnamese
		is.Equal(en, wen) // English
	})
}

func TestSentenceActor(t *testing.T) {
	t.Run("zero actor falls back to the event's By", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence(domain.HandoffAccepted{HandoffID: "ho-1", Stamp: domain.Stamp{By: testCERT, At: testAt}}, domain.Actor{}, testCfg))
		cvi, cen := testOrg(t, "cert-health")
		is.Equal(vi, "minh.hoang ("+cvi+") đã tiếp nhận chuyển giao sự cố.")                          // Vietnamese
		is.Equal(en, "minh.hoang ("+cen+") accepted the handoff and took ownership of the incident.") // English
	})
	t.Run("organisation only, and nobody", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence(domain.HandoffAccepted{HandoffID: "ho-1"}, domain.Actor{Org: "police"}, testCfg))
		pvi, pen := testOrg(t, "police")
		is.True(strings.HasPrefix(vi, pvi+" đã tiếp nhận chuyển giao sự cố")) // organisation alone
		is.True(strings.HasPrefix(en, pen+" accepted"))                       // organisation alone
		vi, en = viEn(Sentence(domain.HandoffAccepted{HandoffID: "ho-1"}, domain.Actor{}, testCfg))
		is.True(strings.HasPrefix(vi, "Hệ thống đã tiếp nhận")) // no actor at all
		is.True(strings.HasPrefix(en, "The system accepted"))   // no actor at all
		vi, en = viEn(Sentence(domain.TokenRevoked{TokenID: "t"}, domain.SystemActor, testCfg))
		is.Equal(vi, "Hệ thống đã thu hồi một mã truy cập (token).") // the command-line operator
		is.Equal(en, "The system revoked an access token.")          // the command-line operator
	})
	t.Run("escalation on behalf of another organisation", func(t *testing.T) {
		is := is.New(t)
		e := domain.IncidentEscalated{
			EscalationID: "esc-2",
			From:         "dept-health",
			To:           "police",
			Reason:       "Cần hỗ trợ điều tra",
			Deadline:     testDeadline,
			Stamp:        domain.Stamp{By: testDIC, At: testAt},
		}
		vi, en := viEn(Sentence(e, testDIC, testCfg))
		hvi, hen := testOrg(t, "dept-health")
		is.True(strings.Contains(vi, " thay mặt "+hvi+" đã chuyển cấp sự cố lên ")) // Vietnamese names the escalating organisation
		is.True(strings.Contains(en, " on behalf of "+hen+" escalated"))            // English names the escalating organisation
	})
	t.Run("unknown slugs and no configuration", func(t *testing.T) {
		is := is.New(t)
		e := domain.IncidentShared{Orgs: []string{"dept-education"}, Stamp: domain.Stamp{By: domain.Actor{User: "x", Org: "ward-7"}, At: testAt}}
		vi, en := viEn(Sentence(e, domain.Actor{}, testCfg))
		is.Equal(vi, "x (ward-7) đã chia sẻ sự cố với dept-education.") // slugs stand in for unknown names
		is.Equal(en, "x (ward-7) shared the incident with dept-education.")
		for _, c := range testCases() {
			vi, en := viEn(Sentence(c.event, c.actor, nil))
			is.True(vi != "" && en != "")              // a nil configuration still gives sentences
			is.True(strings.Contains(vi, c.actor.Org)) // with slugs for names
		}
	})
	t.Run("long lists of organisations are counted", func(t *testing.T) {
		is := is.New(t)
		var orgs []string
		for _, o := range testCfg.Organisations[:14] {
			orgs = append(orgs, o.Slug)
		}
		vi, en := viEn(Sentence(domain.IncidentShared{Orgs: orgs}, testDIC, testCfg))
		is.True(strings.HasSuffix(vi, " và 4 tổ chức khác."))         // Vietnamese
		is.True(strings.HasSuffix(en, " and 4 other organisations.")) // English
	})
}

func TestSentenceNoteExcerpt(t *testing.T) {
	t.Run("long note", func(t *testing.T) {
		is := is.New(t)
		text := "Đội ứng cứu đã cô lập\n\tmáy chủ, " + strings.Repeat("kiểm tra nhật ký truy cập của tường lửa; ", 10) + "KẾT THÚC"
		vi, en := viEn(Sentence(domain.NoteAdded{NoteID: "n1", Text: text, TLP: domain.TLPAmber}, testDIC, testCfg))
		_, quoted, ok := strings.Cut(vi, "“")
		is.True(ok) // Vietnamese quotes the excerpt
		excerpt, _, ok := strings.Cut(quoted, "”")
		is.True(ok)                                                                    // the quote is closed
		is.True(utf8.RuneCountInString(excerpt) <= 80)                                 // at most 80 runes
		is.True(strings.HasSuffix(excerpt, "…"))                                       // marked as cut
		is.True(strings.HasPrefix(excerpt, "Đội ứng cứu đã cô lập máy chủ, kiểm tra")) // whitespace folded
		is.True(!strings.Contains(vi, "KẾT THÚC"))                                     // the rest stays out
		is.True(strings.Contains(en, "“"+excerpt+"”"))                                 // English quotes the same excerpt
	})
	t.Run("short note whole", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence(domain.NoteAdded{NoteID: "n2", Text: "Đã báo cáo VNCERT/CC.", TLP: domain.TLPGreen}, testDIC, testCfg))
		is.True(strings.HasSuffix(vi, "đã thêm ghi chú (TLP:GREEN): “Đã báo cáo VNCERT/CC.”.")) // Vietnamese
		is.True(strings.HasSuffix(en, "added a note (TLP:GREEN): “Đã báo cáo VNCERT/CC.”."))    // English
	})
	t.Run("long reason is shortened", func(t *testing.T) {
		is := is.New(t)
		vi, _ := viEn(Sentence(domain.IncidentReopened{Reason: strings.Repeat("ạ", 5000)}, testDIC, testCfg))
		is.True(utf8.RuneCountInString(vi) < 400) // reasons are excerpts too
		is.True(strings.HasSuffix(vi, "…"))       // marked as cut, no extra full stop
	})
}

func TestSentenceTime(t *testing.T) {
	t.Run("LocalTime is Vietnam time", func(t *testing.T) {
		is := is.New(t)
		lt := LocalTime(testDeadline)
		_, off := lt.Zone()
		is.Equal(off, 7*60*60)                                      // UTC+07:00
		is.True(lt.Equal(testDeadline))                             // the same instant
		is.Equal(lt.Format("15:04 02/01/2006"), "14:30 21/11/2026") // wall clock in Vietnam
		late := time.Date(2026, 12, 31, 20, 5, 0, 0, time.UTC)
		is.Equal(LocalTime(late).Format("2006-01-02 15:04"), "2027-01-01 03:05") // crosses midnight and the year
	})
	t.Run("both languages", func(t *testing.T) {
		is := is.New(t)
		paris := time.FixedZone("CET", 3600)
		e := domain.HandoffOffered{
			HandoffID: "ho-2",
			From:      "dic",
			To:        "police",
			Summary:   "s",
			Deadline:  time.Date(2026, 3, 5, 2, 4, 0, 0, paris),
			Stamp:     domain.Stamp{By: testDIC, At: testAt},
		} // 01:04 UTC, 08:04 ICT
		vi, en := viEn(Sentence(e, testDIC, testCfg))
		is.True(strings.HasSuffix(vi, " Hạn trả lời: 08:04 05/03/2026."))  // "15:04 02/01/2006" in Vietnamese
		is.True(strings.HasSuffix(en, " Answer by 2026-03-05 08:04 ICT.")) // "2006-01-02 15:04 ICT" in English
	})
	t.Run("zero deadline is left out", func(t *testing.T) {
		is := is.New(t)
		vi, en := viEn(Sentence(domain.IncidentEscalated{From: "dic", To: "police", Reason: "r"}, testDIC, testCfg))
		is.True(!strings.Contains(vi, "Hạn xác nhận")) // no deadline in Vietnamese
		is.True(!strings.Contains(en, "Acknowledge"))  // no deadline in English
		is.True(!strings.Contains(vi, "0001"))         // no zero date
	})
}
