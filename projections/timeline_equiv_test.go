package projections

// Temporary: checks that projections/timeline writes exactly the sentences of Sentence, before
// Sentence is deleted.

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/projections/timeline"
)

func TestTimelineEquivalence(t *testing.T) {
	check := func(e domain.Event, a domain.Actor, cfg *domain.Config) {
		t.Helper()
		vi, en := Sentence(e, a, cfg)
		got := timeline.Sentence(e, a, cfg)
		if got.Vi != vi || got.En != en {
			t.Errorf("%T %+v actor %+v cfg %v:\nold vi %q\nnew vi %q\nold en %q\nnew en %q", e, e, a, cfg != nil, vi, got.Vi, en, got.En)
		}
	}
	actors := []domain.Actor{{}, domain.SystemActor, tlTestDIC, tlTestPolice, {Org: "police"}, {User: "x"}, {User: "system"}, {Org: "ward-7", User: "y"}}
	for _, c := range tlTestCases() {
		for _, cfg := range []*domain.Config{tlTestCfg, nil} {
			for _, a := range append(actors, c.actor) {
				check(c.event, a, cfg)
				p := reflect.New(reflect.TypeOf(c.event))
				p.Elem().Set(reflect.ValueOf(c.event))
				check(p.Interface().(domain.Event), a, cfg)
			}
		}
	}
	check(nil, tlTestDIC, tlTestCfg)
	check(nil, domain.Actor{}, nil)
	check((*domain.NoteAdded)(nil), tlTestDIC, tlTestCfg)
	check((*domain.NoteAdded)(nil), domain.Actor{}, tlTestCfg)
	check(tlTestUnknown{}, tlTestDIC, tlTestCfg)
	check(tlTestUnknown{Stamp: domain.Stamp{By: tlTestCERT}}, domain.Actor{}, tlTestCfg)

	pool := equivStrings()
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, tv := range domain.EventTypes() {
		name, v, _ := strings.Cut(tv, "@v")
		version, _ := strconv.Atoi(v)
		zero, err := domain.DecodeEvent(name, version, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		for range 3000 {
			p := reflect.New(reflect.TypeOf(zero))
			equivFill(r, p.Elem(), pool, 0)
			e := p.Elem().Interface().(domain.Event)
			cfg := tlTestCfg
			if r.IntN(4) == 0 {
				cfg = nil
			}
			a := actors[r.IntN(len(actors))]
			check(e, a, cfg)
			if r.IntN(8) == 0 {
				check(p.Interface().(domain.Event), a, cfg)
			}
			n++
		}
	}
	t.Logf("%d random events compared", n)
}

func equivStrings() []string {
	s := []string{"", "", "", "system", "H1", "YEAR", "Q3", "MAU_03", "MAU_04", "MAU_09", "CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED", "PURPLE",
		"coordinator", "responder", "reviewer", "partner", "admin", "ingest", "LOW", "MEDIUM", "HIGH", "CRITICAL", "EXTREME",
		"ORDINARY", "SERIOUS", "TIER_X", "DETECTED", "TRIAGE", "CONTAINMENT", "ERADICATION", "RECOVERY", "REVIEW",
		"REPORT", "ALERTS", "RESOLVED", "FALSE_POSITIVE", "DUPLICATE", "NO_ACTION", "IPV4", "IPV6", "DOMAIN", "URL", "EMAIL",
		"MD5", "SHA1", "SHA256", "CVE", "RANSOMWARE", "PHISHING", "DOS", "HEALTH", "BANKING", "police/hai.do", "vncert/x", "dic/y",
		"a\n\tb  c\u200b d", strings.Repeat("ạ b ", 120), "Ghi chú. ", "ends!", "ends…", "x%sy", "\xff\xfe", "unknown-org",
		"Lý do: 12 máy trạm nhiễm LockBit"}
	for _, o := range tlTestCfg.Organisations {
		s = append(s, o.Slug)
	}
	return s
}

func equivFill(r *rand.Rand, v reflect.Value, pool []string, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(pool[r.IntN(len(pool))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.Type() == reflect.TypeOf(time.Duration(0)) || v.Type().Name() == "Duration" {
			v.SetInt(int64(r.IntN(5)) * int64(time.Minute))
			return
		}
		v.SetInt([]int64{0, 1, 2, 3, 5, 17, -1}[r.IntN(7)])
	case reflect.Uint64, reflect.Uint, reflect.Uint32, reflect.Uint8:
		v.SetUint([]uint64{0, 1, 2, 57}[r.IntN(4)])
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			ts := []time.Time{{}, tlTestDeadline, tlTestAt, time.Date(2026, 12, 31, 20, 5, 0, 0, time.UTC)}
			v.Set(reflect.ValueOf(ts[r.IntN(len(ts))]))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				equivFill(r, v.Field(i), pool, depth+1)
			}
		}
	case reflect.Slice:
		if depth > 3 || r.IntN(3) == 0 {
			return
		}
		k := []int{0, 1, 2, 3, 10, 11, 14}[r.IntN(7)]
		s := reflect.MakeSlice(v.Type(), k, k)
		for i := range k {
			equivFill(r, s.Index(i), pool, depth+1)
		}
		v.Set(s)
	case reflect.Pointer:
		if depth > 3 || r.IntN(2) == 0 {
			return
		}
		p := reflect.New(v.Type().Elem())
		equivFill(r, p.Elem(), pool, depth+1)
		v.Set(p)
	}
}
