package timeline

import (
	"strconv"
	"strings"
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Ways an organisation came to read an incident, or stopped: who-knew-what-when names them.
const (
	ViaOpened       = "OPENED"        // it opened the incident
	ViaCommunity    = "COMMUNITY"     // TLP:CLEAR or GREEN: every organisation
	ViaShared       = "SHARED"        // the incident was shared with it
	ViaEscalated    = "ESCALATED"     // the incident was escalated to it
	ViaHandoff      = "HANDOFF"       // a handoff was offered to it (or, losing, it gave the incident up on acceptance)
	ViaHandoffEnded = "HANDOFF_ENDED" // the offer to it was declined, withdrawn or expired
	ViaNamed        = "NAMED"         // a person of it was named at TLP:RED
	ViaLead         = "LEAD"          // it was made lead (or stopped leading)
	ViaTLP          = "TLP_CHANGE"    // the incident's TLP changed
	ViaClassified   = "CLASSIFIED"    // the classification changed (a state secret stays with the forces)
	ViaOther        = "OTHER"
)

var gainedVia = map[string]Text{
	ViaOpened:     bi("đã mở sự cố", "it opened the incident"),
	ViaCommunity:  bi("nhãn TLP cho phép mọi tổ chức đọc", "its TLP let every organisation read it"),
	ViaShared:     bi("sự cố được chia sẻ với đơn vị", "the incident was shared with it"),
	ViaEscalated:  bi("sự cố được chuyển cấp tới đơn vị", "the incident was escalated to it"),
	ViaHandoff:    bi("đơn vị được đề nghị tiếp nhận chuyển giao sự cố", "a handoff of the incident was offered to it"),
	ViaNamed:      bi("một người của đơn vị được chỉ định ở mức TLP:RED", "a person of it was named at TLP:RED"),
	ViaLead:       bi("đơn vị được giao chủ trì xử lý", "it was made lead"),
	ViaTLP:        bi("nhãn TLP của sự cố thay đổi", "the incident's TLP changed"),
	ViaClassified: bi("phân loại của sự cố thay đổi", "the incident's classification changed"),
}

var lostVia = map[string]Text{
	ViaHandoff:      bi("đơn vị thôi giữ sự cố khi chuyển giao được tiếp nhận", "it gave the incident up when its handoff was accepted"),
	ViaHandoffEnded: bi("đề nghị chuyển giao tới đơn vị đã kết thúc (từ chối, rút lại hoặc hết hạn)", "the handoff offered to it ended (declined, withdrawn or expired)"),
	ViaLead:         bi("đơn vị thôi chủ trì xử lý", "it no longer leads the incident"),
	ViaTLP:          bi("nhãn TLP của sự cố thay đổi", "the incident's TLP changed"),
	ViaClassified:   bi("sự cố được phân loại là bí mật nhà nước", "the incident was classified as a state secret"),
}

// Access says when an organisation came to read an incident (gained) or stopped, through what,
// and whose action it was.
func Access(org string, gained bool, via string, by domain.Actor, t time.Time, cfg *domain.Config) Text {
	n := newNarrator(cfg, by)
	why, ok := lostVia[via]
	if gained {
		why, ok = gainedVia[via]
	}
	if !ok {
		why = bi("sau một thay đổi của sự cố", "after a change to the incident")
	}
	verb := bi(" có thể đọc sự cố từ ", " could read the incident from ")
	if !gained {
		verb = bi(" không còn đọc được sự cố từ ", " could no longer read the incident from ")
	}
	t2 := cat(n.org(org), verb, at(t), same(": "), why)
	if by != (domain.Actor{}) && via != ViaOpened {
		t2 = cat(t2, bi(" (bởi ", " (by "), n.name(by), same(")"))
	}
	return t2.end()
}

// RequestFacts is what an organisation was asked to do and how it answered, as Request tells it.
type RequestFacts struct {
	Escalation     bool // an escalation to acknowledge; else a handoff to answer
	At, Deadline   time.Time
	AcknowledgedAt time.Time // zero: not acknowledged
	AnsweredAt     time.Time // accepted or declined (handoffs), resolved (escalations)
	Outcome        string    // the escalation's or handoff's status at the moment of the view
	Late, Overdue  time.Duration
}

// Request says, in each language, what an organisation was asked and how late it answered
// against the deadline.
func Request(f RequestFacts) Text {
	var t Text
	if f.Escalation {
		t = cat(bi("Được yêu cầu xác nhận chuyển cấp lúc ", "Asked to acknowledge an escalation at "), at(f.At),
			bi(" (hạn xác nhận ", " (due "), at(f.Deadline), same(")"))
		switch {
		case !f.AcknowledgedAt.IsZero():
			t = cat(t, bi(": đã xác nhận lúc ", ": acknowledged at "), at(f.AcknowledgedAt), lateness(f.Late))
		case f.Overdue > 0:
			t = cat(t, bi(": chưa xác nhận, đã quá hạn ", ": not acknowledged, overdue by "), Duration(f.Overdue))
		default:
			t = cat(t, bi(": chưa xác nhận, còn trong hạn", ": not acknowledged yet, within the deadline"))
		}
		if f.Outcome == string(domain.EscalationStatusResolved) && !f.AnsweredAt.IsZero() {
			t = cat(t, bi("; kết thúc lúc ", "; resolved at "), at(f.AnsweredAt))
		}
		return t.end()
	}
	t = cat(bi("Được đề nghị tiếp nhận chuyển giao lúc ", "Offered a handoff at "), at(f.At),
		bi(" (hạn trả lời ", " (answer due "), at(f.Deadline), same(")"))
	if !f.AcknowledgedAt.IsZero() {
		t = cat(t, bi(": xác nhận đã nhận lúc ", ": receipt confirmed at "), at(f.AcknowledgedAt), same(";"))
	} else {
		t = cat(t, same(":"))
	}
	switch domain.HandoffStatus(f.Outcome) {
	case domain.HandoffStatusAccepted, domain.HandoffStatusReturned:
		t = cat(t, bi(" đã tiếp nhận lúc ", " accepted at "), at(f.AnsweredAt), lateness(f.Late))
		if f.Outcome == string(domain.HandoffStatusReturned) {
			t = cat(t, bi(", sau đó đã trả lại sự cố", ", later handed the incident back"))
		}
	case domain.HandoffStatusDeclined:
		t = cat(t, bi(" đã từ chối lúc ", " declined at "), at(f.AnsweredAt), lateness(f.Late))
	case domain.HandoffStatusWithdrawn:
		t = cat(t, bi(" đề nghị đã được rút lại trước khi trả lời", " the offer was withdrawn before an answer"))
	case domain.HandoffStatusExpired:
		t = cat(t, bi(" không trả lời; đề nghị hết hạn, quá hạn ", " no answer; the offer expired, overdue by "), Duration(f.Overdue))
	default:
		if f.Overdue > 0 {
			t = cat(t, bi(" chưa trả lời, đã quá hạn ", " not answered, overdue by "), Duration(f.Overdue))
		} else {
			t = cat(t, bi(" chưa trả lời, còn trong hạn", " not answered yet, within the deadline"))
		}
	}
	return t.end()
}

func lateness(late time.Duration) Text {
	if late <= 0 {
		return bi(", đúng hạn", ", on time")
	}
	return cat(bi(", muộn ", ", late by "), Duration(late))
}

// Duration writes a span as people read it: "2 ngày 3 giờ", "1 giờ 5 phút", "40 giây" /
// "2 d 3 h", "1 h 5 min", "40 s": the largest unit and the next one unless it is zero.
func Duration(d time.Duration) Text {
	if d < 0 {
		d = -d
	}
	units := []struct {
		size   time.Duration
		vi, en string
	}{{24 * time.Hour, "ngày", "d"}, {time.Hour, "giờ", "h"}, {time.Minute, "phút", "min"}, {time.Second, "giây", "s"}}
	var vi, en []string
	for _, u := range units {
		if n := d / u.size; n > 0 && len(vi) < 2 {
			vi, en = append(vi, strconv.Itoa(int(n))+" "+u.vi), append(en, strconv.Itoa(int(n))+" "+u.en)
			d -= n * u.size
		} else if len(vi) > 0 {
			break
		}
	}
	if len(vi) == 0 {
		return bi("dưới 1 giây", "under 1 s")
	}
	return bi(strings.Join(vi, " "), strings.Join(en, " "))
}
