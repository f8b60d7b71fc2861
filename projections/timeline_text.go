package projections

import (
	"fmt"
	"reflect"
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
	tlNoteExcerpt   = 80  // note text: the only item content a sentence carries
	tlReasonExcerpt = 200 // reasons, resolutions and other short statements
	tlTitleExcerpt  = 120 // incident and alert titles, system names
	tlShortExcerpt  = 80  // identifiers, source names, requested actions
	tlMaxListed     = 10  // organisations named in a list before "and N others"
)

// tlLocation is Vietnam's time zone: Asia/Ho_Chi_Minh from the system's zone database, or a
// fixed +07:00 zone named ICT when the database is missing (Vietnam has kept +07:00 since 1975).
var tlLocation = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*60*60)
})

// LocalTime returns t in Vietnam's time zone (Asia/Ho_Chi_Minh), as timelines show it.
func LocalTime(t time.Time) time.Time { return t.In(tlLocation()) }

// tlTimeVi formats t for Vietnamese readers: "14:30 21/11/2026".
func tlTimeVi(t time.Time) string { return LocalTime(t).Format("15:04 02/01/2006") }

// tlTimeEn formats t for English readers: "2026-11-21 14:30 ICT".
func tlTimeEn(t time.Time) string { return LocalTime(t).Format("2006-01-02 15:04") + " ICT" }

// Sentence returns a readable sentence in Vietnamese and in English describing one event, for
// an incident's timeline. actor is who recorded it; cfg resolves organisation slugs to names.
//
// A zero actor falls back to the event's own By field. Item contents stay out of the sentence
// (indicator values, TLP:RED recipients, focal points' personal data), except a short excerpt of
// a note; free text that is quoted (reasons, titles) is shortened and put on one line. An event
// type this function does not know gets a generic sentence naming its type; it never panics.
func Sentence(e domain.Event, actor domain.Actor, cfg *domain.Config) (vi, en string) {
	e = tlDeref(e)
	if actor == (domain.Actor{}) {
		actor = tlEventActor(e)
	}
	avi, aen := tlActorVi(cfg, actor), tlActorEn(cfg, actor)

	switch e := e.(type) {
	// Incident events.
	case domain.IncidentOpened:
		dvi, den := tlClassification(cfg, e.Type, e.Severity, e.Tier, e.Sector, e.AffectedSystem)
		dvi, den = append(dvi, tlTLP(e.TLP)), append(den, tlTLP(e.TLP))
		if e.PAP != "" {
			dvi, den = append(dvi, "PAP:"+string(e.PAP)), append(den, "PAP:"+string(e.PAP))
		}
		vi = avi + " đã mở sự cố " + tlQuote(e.Title, tlTitleExcerpt) + tlParen(dvi)
		en = aen + " opened the incident " + tlQuote(e.Title, tlTitleExcerpt) + tlParen(den)
		if e.Source == domain.SourceAlerts || len(e.AlertIDs) > 0 {
			n := len(e.AlertIDs)
			vi += ", lập từ " + strconv.Itoa(n) + " cảnh báo"
			en += ", raised from " + tlCount(n, "alert", "alerts")
		}
		if !e.DetectedAt.IsZero() {
			vi += ", phát hiện lúc " + tlTimeVi(e.DetectedAt)
			en += ", detected at " + tlTimeEn(e.DetectedAt)
		}
		vi, en = tlEnd(vi), tlEnd(en)
		if e.Drill {
			vi += " Đây là sự cố diễn tập, không tính vào thống kê."
			en += " This is a drill incident and does not count in statistics."
		}
		return vi, en

	case domain.IncidentClassified:
		dvi, den := tlClassification(cfg, e.Type, e.Severity, e.Tier, e.Sector, e.AffectedSystem)
		return tlEnd(avi + " đã cập nhật phân loại sự cố" + tlColonList(dvi)),
			tlEnd(aen + " updated the incident's classification" + tlColonList(den))

	case domain.LeadAssigned:
		vi = avi + " đã giao " + tlOrgVi(cfg, e.Org) + " chủ trì xử lý sự cố"
		en = aen + " assigned " + tlOrgEn(cfg, e.Org) + " to lead the response"
		if e.Previous != "" && e.Previous != e.Org {
			vi += " (thay cho " + tlOrgVi(cfg, e.Previous) + ")"
			en += " (previously " + tlOrgEn(cfg, e.Previous) + ")"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.PhaseChanged:
		toVi, toEn := "“"+e.To.LabelVi()+"”", "“"+e.To.LabelEn()+"”"
		switch {
		case e.From == "":
			vi = avi + " đã chuyển sự cố sang giai đoạn " + toVi
			en = aen + " moved the incident to the " + toEn + " phase"
		case e.From.Valid() && e.To.Valid() && e.To.Rank() < e.From.Rank():
			vi = avi + " đã đưa sự cố từ giai đoạn “" + e.From.LabelVi() + "” trở lại giai đoạn " + toVi
			en = aen + " moved the incident back from the “" + e.From.LabelEn() + "” phase to the " + toEn + " phase"
		default:
			vi = avi + " đã chuyển sự cố từ giai đoạn “" + e.From.LabelVi() + "” sang giai đoạn " + toVi
			en = aen + " moved the incident from the “" + e.From.LabelEn() + "” phase to the " + toEn + " phase"
		}
		return tlWithReason(vi, en, e.Reason)

	case domain.NoteAdded:
		vi = avi + " đã thêm ghi chú"
		en = aen + " added a note"
		if e.TLP != "" {
			vi += " (" + tlTLP(e.TLP) + ")"
			en += " (" + tlTLP(e.TLP) + ")"
		}
		if x := tlQuote(e.Text, tlNoteExcerpt); x != "" {
			vi += ": " + x
			en += ": " + x
		}
		return tlEnd(vi), tlEnd(en)

	case domain.IndicatorAdded:
		tvi, ten := tlIndicatorType(e.Type)
		vi = avi + " đã thêm một dấu hiệu xâm phạm (IoC) loại " + tvi
		en = aen + " added an indicator of compromise (" + ten
		if e.TLP != "" {
			vi += " (" + tlTLP(e.TLP) + ")"
			en += ", " + tlTLP(e.TLP)
		}
		return tlEnd(vi), tlEnd(en + ")")

	case domain.IncidentShared:
		return tlEnd(avi + " đã chia sẻ sự cố với " + tlOrgList(cfg, e.Orgs, true)),
			tlEnd(aen + " shared the incident with " + tlOrgList(cfg, e.Orgs, false))

	case domain.RecipientsNamed:
		// A count only: who may read a TLP:RED incident is itself restricted.
		n, orgs := len(e.Users), tlRecipientOrgs(e.Users)
		vi = avi + " đã chỉ định thêm " + strconv.Itoa(n) + " người nhận được phép xem sự cố ở mức TLP:RED"
		en = aen + " named " + tlCount(n, "more TLP:RED recipient", "more TLP:RED recipients") + " allowed to read the incident"
		if orgs > 1 {
			vi += " (thuộc " + strconv.Itoa(orgs) + " tổ chức)"
			en += " (from " + strconv.Itoa(orgs) + " organisations)"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.TLPChanged:
		from, to := tlTLP(e.From), tlTLP(e.To)
		switch {
		case e.From.Valid() && e.To.Valid() && e.To.Rank() > e.From.Rank():
			vi = avi + " đã nâng nhãn TLP của sự cố từ " + from + " lên " + to
			en = aen + " raised the incident's TLP from " + from + " to " + to
		case e.From.Valid() && e.To.Valid() && e.To.Rank() < e.From.Rank():
			vi = avi + " đã hạ nhãn TLP của sự cố từ " + from + " xuống " + to
			en = aen + " lowered the incident's TLP from " + from + " to " + to
		default:
			vi = avi + " đã đổi nhãn TLP của sự cố thành " + to
			en = aen + " changed the incident's TLP to " + to
		}
		return tlWithReason(vi, en, e.Reason)

	case domain.IncidentEscalated:
		vi = avi + tlOnBehalfVi(cfg, actor, e.From) + " đã chuyển cấp sự cố lên " + tlOrgVi(cfg, e.To)
		en = aen + tlOnBehalfEn(cfg, actor, e.From) + " escalated the incident to " + tlOrgEn(cfg, e.To)
		switch {
		case e.Auto && e.Follows != "":
			vi += " vì bước trước trong chuỗi chuyển cấp chưa được xác nhận đúng hạn"
			en += " because the previous step of the escalation chain was not acknowledged in time"
			vi, en = tlSkipped(cfg, vi, en, e.Skipped)
			vi, en = tlWithReason(vi, en, e.Reason)
		case e.Auto:
			vi += " theo chính sách chuyển cấp (quy tắc " + tlText(e.RuleID, tlShortExcerpt) + ")"
			en += " under the escalation policy (rule " + tlText(e.RuleID, tlShortExcerpt) + ")"
			vi, en = tlSkipped(cfg, vi, en, e.Skipped)
			vi, en = tlEnd(vi), tlEnd(en)
		default:
			vi, en = tlWithReason(vi, en, e.Reason)
		}
		if !e.Deadline.IsZero() {
			vi += " Hạn xác nhận: " + tlTimeVi(e.Deadline) + "."
			en += " Acknowledge by " + tlTimeEn(e.Deadline) + "."
		}
		return vi, en

	case domain.EscalationAcknowledged:
		vi = avi + " đã xác nhận yêu cầu chuyển cấp sự cố"
		en = aen + " acknowledged the escalation"
		if e.Late {
			vi += " (muộn, đã quá hạn xác nhận)"
			en += " (late: after the acknowledgement deadline)"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.EscalationResolved:
		return tlWithReason(avi+" đã kết thúc yêu cầu chuyển cấp sự cố", aen+" resolved the escalation", e.Resolution)

	case domain.HandoffOffered:
		vi = avi + tlOnBehalfVi(cfg, actor, e.From) + " đã đề nghị chuyển giao sự cố cho " + tlOrgVi(cfg, e.To)
		en = aen + tlOnBehalfEn(cfg, actor, e.From) + " offered to hand the incident over to " + tlOrgEn(cfg, e.To)
		if e.TLP != "" {
			vi += " (" + tlTLP(e.TLP) + ")"
			en += " (" + tlTLP(e.TLP) + ")"
		}
		if e.Auto {
			vi += " (tự động, đơn vị tiếp theo trong chuỗi chuyển giao)"
			en += " (automatically, next in the handoff chain)"
			vi, en = tlSkipped(cfg, vi, en, e.Skipped)
		}
		if e.ReleaseOnAccept {
			vi += "; khi được tiếp nhận, " + tlOrgVi(cfg, e.From) + " sẽ thôi giữ quyền truy cập sự cố"
			en += "; once accepted, " + tlOrgEn(cfg, e.From) + " gives up its access to the incident"
		}
		vi, en = tlEnd(vi), tlEnd(en)
		if x := tlText(e.RequestedAction, tlShortExcerpt); x != "" {
			vi += " Nội dung đề nghị: " + tlEnd(x)
			en += " Requested action: " + tlEnd(x)
		}
		if !e.Deadline.IsZero() {
			vi += " Hạn trả lời: " + tlTimeVi(e.Deadline) + "."
			en += " Answer by " + tlTimeEn(e.Deadline) + "."
		}
		return vi, en

	case domain.HandoffAcknowledged:
		return tlEnd(avi + " đã xác nhận đã nhận đề nghị chuyển giao sự cố, chưa trả lời tiếp nhận hay từ chối"),
			tlEnd(aen + " acknowledged receipt of the handoff offer, without accepting or declining it yet")

	case domain.HandoffAccepted:
		vi = avi + " đã tiếp nhận chuyển giao sự cố"
		en = aen + " accepted the handoff and took ownership of the incident"
		if e.OriginReleased {
			// The event does not name the origin: the incident's first entry does.
			vi += "; theo đề nghị chuyển giao, đơn vị mở sự cố thôi giữ quyền truy cập sự cố (trừ khi còn chủ trì hoặc được chia sẻ, chuyển cấp)"
			en += "; as the offer asked, the originating organisation no longer holds the incident (unless it leads it, or it was shared or escalated to it)"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.HandoffDeclined:
		return tlWithReason(avi+" đã từ chối tiếp nhận chuyển giao sự cố", aen+" declined the handoff", e.Reason)

	case domain.HandoffReturned:
		return tlWithReason(avi+" đã trả lại sự cố cho đơn vị đã chuyển giao",
			aen+" handed the incident back to the organisation that offered it", e.Reason)

	case domain.HandoffWithdrawn:
		return tlWithReason(avi+" đã rút lại đề nghị chuyển giao sự cố", aen+" withdrew the handoff offer", e.Reason)

	case domain.IncidentClosed:
		rvi, ren := tlResolution(e.Resolution)
		return tlEnd(avi + " đã đóng sự cố, kết quả: " + rvi), tlEnd(aen + " closed the incident: " + ren)

	case domain.IncidentReopened:
		return tlWithReason(avi+" đã mở lại sự cố", aen+" reopened the incident", e.Reason)

	// Deadline events: the scheduler records them as the system when a deadline falls due.
	case domain.EscalationDeadlineMissed:
		return tlEnd(avi + " ghi nhận " + tlOrgVi(cfg, e.To) + " chưa xác nhận yêu cầu chuyển cấp sự cố trước hạn " + tlTimeVi(e.Deadline)),
			tlEnd(aen + " recorded that " + tlOrgEn(cfg, e.To) + " did not acknowledge the escalation by " + tlTimeEn(e.Deadline))

	case domain.EscalationReminderDue:
		return tlEnd(avi + " đã nhắc " + tlOrgVi(cfg, e.To) + " xác nhận yêu cầu chuyển cấp sự cố trước " + tlTimeVi(e.Deadline)),
			tlEnd(aen + " reminded " + tlOrgEn(cfg, e.To) + " to acknowledge the escalation by " + tlTimeEn(e.Deadline))

	case domain.EscalationChainExhausted:
		vi = avi + " ghi nhận chuỗi chuyển cấp đã hết: không còn đơn vị nào để chuyển cấp tiếp"
		en = aen + " recorded that the escalation chain is exhausted: nobody is left to escalate to"
		vi, en = tlSkipped(cfg, vi, en, e.Skipped)
		return tlEnd(vi), tlEnd(en)

	case domain.EscalationChainBlocked:
		vi = avi + " ghi nhận chuỗi chuyển cấp dừng lại vì nhãn TLP của sự cố không cho phép đưa thêm đơn vị mới"
		en = aen + " recorded that the escalation chain stopped: the incident's TLP lets no new organisation in"
		if len(e.Pending) > 0 {
			vi += " (chưa chuyển tới " + tlOrgList(cfg, e.Pending, true) + ")"
			en += " (not reached: " + tlOrgList(cfg, e.Pending, false) + ")"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.HandoffDeadlineMissed:
		return tlEnd(avi + " ghi nhận " + tlOrgVi(cfg, e.To) + " chưa trả lời đề nghị chuyển giao sự cố trước hạn " + tlTimeVi(e.Deadline) + "; đề nghị đã hết hạn"),
			tlEnd(aen + " recorded that " + tlOrgEn(cfg, e.To) + " did not answer the handoff offer by " + tlTimeEn(e.Deadline) + "; the offer expired")

	case domain.HandoffReminderDue:
		return tlEnd(avi + " đã nhắc " + tlOrgVi(cfg, e.To) + " trả lời đề nghị chuyển giao sự cố trước " + tlTimeVi(e.Deadline)),
			tlEnd(aen + " reminded " + tlOrgEn(cfg, e.To) + " to answer the handoff offer by " + tlTimeEn(e.Deadline))

	case domain.HandoffChainExhausted:
		vi = avi + " ghi nhận không còn đơn vị nào để đề nghị chuyển giao sự cố"
		en = aen + " recorded that nobody is left to offer the incident to"
		if e.Owner != "" {
			vi += "; " + tlOrgVi(cfg, e.Owner) + " tiếp tục chủ quản sự cố"
			en += "; " + tlOrgEn(cfg, e.Owner) + " keeps ownership"
		}
		vi, en = tlSkipped(cfg, vi, en, e.Skipped)
		return tlEnd(vi), tlEnd(en)

	case domain.HandoffChainBlocked:
		vi = avi + " ghi nhận chuỗi chuyển giao dừng lại vì nhãn TLP của sự cố không cho phép đưa thêm đơn vị mới"
		en = aen + " recorded that the handoff chain stopped: the incident's TLP lets no new organisation in"
		if len(e.Pending) > 0 {
			vi += " (chưa đề nghị tới " + tlOrgList(cfg, e.Pending, true) + ")"
			en += " (not offered to: " + tlOrgList(cfg, e.Pending, false) + ")"
		}
		if e.Owner != "" {
			vi += "; " + tlOrgVi(cfg, e.Owner) + " tiếp tục chủ quản sự cố"
			en += "; " + tlOrgEn(cfg, e.Owner) + " keeps ownership"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.NotificationRecorded:
		vi = avi + " đã ghi nhận việc thông báo sự cố cho " + tlOrgList(cfg, e.Orgs, true)
		en = aen + " recorded that the incident was reported to " + tlOrgList(cfg, e.Orgs, false)
		if ch := tlText(e.Channel, tlShortExcerpt); ch != "" {
			vi += " qua " + ch
			en += " by " + ch
		}
		if ref := tlText(e.Reference, tlShortExcerpt); ref != "" {
			vi += " (văn bản/số hiệu: " + ref + ")"
			en += " (reference: " + ref + ")"
		}
		vi, en = tlEnd(vi), tlEnd(en)
		if e.Drill {
			vi += " Đây là diễn tập."
			en += " This is a drill."
		}
		return vi, en

	case domain.NotificationDeadlineMissed:
		vi = avi + " ghi nhận đã quá hạn thông báo sự cố (" + tlTimeVi(e.Due) + ", Điều 9 Thông tư 20/2017)"
		en = aen + " recorded that the notification deadline (" + tlTimeEn(e.Due) + ", Art. 9 of Circular 20/2017) passed"
		if len(e.Missing) > 0 {
			vi += " mà chưa thông báo cho " + tlOrgList(cfg, e.Missing, true)
			en += " without notifying " + tlOrgList(cfg, e.Missing, false)
		}
		vi, en = tlEnd(vi), tlEnd(en)
		if e.Drill {
			vi += " Đây là diễn tập."
			en += " This is a drill."
		}
		return vi, en

	case domain.ReportSubmitted:
		fvi, fen := tlReportForm(e.Form)
		vi = avi + " đã nộp " + fvi
		en = aen + " submitted the " + fen
		if ref := tlText(e.Reference, tlShortExcerpt); ref != "" {
			vi += ", số hiệu " + ref
			en += ", reference " + ref
		}
		if e.Late {
			vi += " (muộn, đã quá hạn)"
			en += " (late: after the deadline)"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.ClosingReportOverdue:
		return tlEnd(avi + " ghi nhận " + tlOrgVi(cfg, e.Owner) + " chưa nộp báo cáo kết thúc (Mẫu 04) trước hạn " + tlTimeVi(e.Due)),
			tlEnd(aen + " recorded that " + tlOrgEn(cfg, e.Owner) + " had not submitted the closing report (Mẫu 04) by " + tlTimeEn(e.Due))

	case domain.PeriodicReportSubmitted:
		pvi, pen := tlPeriod(e.Period, e.Year)
		vi = avi + " đã nộp báo cáo tổng hợp định kỳ (Mẫu 05) " + pvi + " của " + tlOrgVi(cfg, e.Org)
		en = aen + " submitted the periodic summary report (Mẫu 05) " + pen + " of " + tlOrgEn(cfg, e.Org)
		if ref := tlText(e.Reference, tlShortExcerpt); ref != "" {
			vi += ", số hiệu " + ref
			en += ", reference " + ref
		}
		if e.Late {
			vi += " (muộn, đã quá hạn)"
			en += " (late: after the deadline)"
		}
		return tlEnd(vi), tlEnd(en)

	case domain.PeriodicReportOverdue:
		pvi, pen := tlPeriod(e.Period, e.Year)
		return tlEnd(avi + " ghi nhận " + tlOrgVi(cfg, e.Org) + " chưa nộp báo cáo tổng hợp định kỳ (Mẫu 05) " + pvi + " trước hạn " + tlTimeVi(e.Due)),
			tlEnd(aen + " recorded that " + tlOrgEn(cfg, e.Org) + " had not submitted the periodic summary report (Mẫu 05) " + pen + " by " + tlTimeEn(e.Due))

	// Alert events.
	case domain.AlertReceived:
		var dvi, den []string
		if e.Severity != "" {
			svi, sen := tlSeverity(e.Severity)
			dvi, den = append(dvi, "mức độ: "+svi), append(den, "severity: "+sen)
		}
		if e.TLP != "" {
			dvi, den = append(dvi, tlTLP(e.TLP)), append(den, tlTLP(e.TLP))
		}
		if n := len(e.Indicators); n > 0 {
			dvi = append(dvi, "kèm "+strconv.Itoa(n)+" dấu hiệu xâm phạm")
			den = append(den, tlCount(n, "indicator", "indicators"))
		}
		vi = avi + " đã tiếp nhận cảnh báo " + tlQuote(e.Title, tlTitleExcerpt)
		en = aen + " received the alert " + tlQuote(e.Title, tlTitleExcerpt)
		if src := tlText(e.Source, tlShortExcerpt); src != "" {
			vi += " từ nguồn " + src
			en += " from source " + src
		}
		if e.Org != "" && e.Org != actor.Org {
			vi += " cho " + tlOrgVi(cfg, e.Org)
			en += " for " + tlOrgEn(cfg, e.Org)
		}
		vi, en = vi+tlParen(dvi), en+tlParen(den)
		if !e.ObservedAt.IsZero() {
			vi += ", ghi nhận lúc " + tlTimeVi(e.ObservedAt)
			en += ", observed at " + tlTimeEn(e.ObservedAt)
		}
		return tlEnd(vi), tlEnd(en)

	case domain.AlertRepeated:
		vi = avi + " đã báo lại cảnh báo (tổng cộng " + strconv.Itoa(e.Count) + " lần)"
		en = aen + " reported the alert again (" + tlCount(e.Count, "time", "times") + " in all)"
		if !e.At.IsZero() {
			vi += ", lần này ghi nhận lúc " + tlTimeVi(e.At)
			en += ", this time observed at " + tlTimeEn(e.At)
		}
		return tlEnd(vi), tlEnd(en)

	case domain.AlertDismissed:
		return tlWithReason(avi+" đã đóng cảnh báo, không lập sự cố", aen+" dismissed the alert without opening an incident", e.Reason)

	case domain.AlertPromoted:
		id := tlText(e.Incident, tlShortExcerpt)
		if e.Merged {
			return tlEnd(avi + " đã gộp cảnh báo vào sự cố " + id), tlEnd(aen + " merged the alert into incident " + id)
		}
		return tlEnd(avi + " đã chuyển cảnh báo vào sự cố " + id), tlEnd(aen + " promoted the alert into incident " + id)

	case domain.AlertSuppressed:
		rule := tlText(e.Rule, tlShortExcerpt)
		return tlEnd(avi + " đã gửi cảnh báo " + tlQuote(e.Report.Title, tlTitleExcerpt) + ", bị chặn theo quy tắc " + rule),
			tlEnd(aen + " sent the alert " + tlQuote(e.Report.Title, tlTitleExcerpt) + ", suppressed by rule " + rule)

	case domain.AlertCorrelated:
		n := len(e.Incidents)
		return tlEnd(avi + " đã gửi cảnh báo trùng tài sản hoặc dấu hiệu với " + strconv.Itoa(n) + " sự cố đang mở: " + tlText(strings.Join(e.Incidents, ", "), tlTitleExcerpt)),
			tlEnd(aen + " sent an alert that shares its asset or an indicator with " + tlCount(n, "open incident", "open incidents") + ": " + tlText(strings.Join(e.Incidents, ", "), tlTitleExcerpt))

	case domain.AlertDetached:
		id := tlText(e.Incident, tlShortExcerpt)
		return tlWithReason(avi+" đã tách cảnh báo khỏi sự cố "+id, aen+" detached the alert from incident "+id, e.Reason)

	case domain.IncidentAlertsMerged:
		n := len(e.Alerts)
		return tlEnd(avi + " đã gộp " + strconv.Itoa(n) + " cảnh báo vào sự cố"), tlEnd(aen + " merged " + tlCount(n, "alert", "alerts") + " into the incident")

	case domain.IncidentAlertDetached:
		id := tlText(e.Alert, tlShortExcerpt)
		return tlWithReason(avi+" đã tách cảnh báo "+id+" khỏi sự cố", aen+" detached the alert "+id+" from the incident", e.Reason)

	case domain.SuppressionSet:
		vi = avi + " đã đặt quy tắc chặn cảnh báo của nguồn " + tlText(e.Source, tlShortExcerpt) + " đến " + tlTimeVi(e.Until)
		en = aen + " set a rule suppressing alerts of source " + tlText(e.Source, tlShortExcerpt) + " until " + tlTimeEn(e.Until)
		return tlWithReason(vi, en, e.Reason)

	case domain.SuppressionRemoved:
		return tlWithReason(avi+" đã gỡ quy tắc chặn cảnh báo", aen+" removed the suppression rule", e.Reason)

	// User events.
	case domain.UserRegistered:
		login := tlText(e.Name, tlShortExcerpt)
		if login == "" {
			login = tlText(e.User, tlShortExcerpt)
		}
		vi = avi + " đã tạo tài khoản " + login
		en = aen + " registered the account " + login
		if e.Org != "" {
			vi += " cho " + tlOrgVi(cfg, e.Org)
			en += " for " + tlOrgEn(cfg, e.Org)
		}
		if len(e.Roles) > 0 {
			rvi, ren := make([]string, len(e.Roles)), make([]string, len(e.Roles))
			for i, r := range e.Roles {
				rvi[i], ren[i] = tlRole(r)
			}
			vi += " với vai trò: " + strings.Join(rvi, ", ")
			if len(ren) == 1 {
				en += " with the role: " + ren[0]
			} else {
				en += " with the roles: " + strings.Join(ren, ", ")
			}
		}
		return tlEnd(vi), tlEnd(en)

	case domain.RoleGranted:
		rvi, ren := tlRole(e.Role)
		return tlEnd(avi + " đã cấp vai trò “" + rvi + "” cho tài khoản"), tlEnd(aen + " granted the “" + ren + "” role to the account")

	case domain.RoleRevoked:
		rvi, ren := tlRole(e.Role)
		return tlEnd(avi + " đã thu hồi vai trò “" + rvi + "” của tài khoản"), tlEnd(aen + " revoked the “" + ren + "” role from the account")

	case domain.UserDisabled:
		return tlWithReason(avi+" đã vô hiệu hóa tài khoản", aen+" disabled the account", e.Reason)

	// Token events. The token itself never appears; its id is no use to a reader either.
	case domain.TokenIssued:
		rvi, ren := tlRole(e.Role)
		user := tlText(e.User, tlShortExcerpt)
		vi = avi + " đã cấp mã truy cập (token) cho tài khoản " + user
		en = aen + " issued an access token to the account " + user
		if e.Org != "" {
			vi += " của " + tlOrgVi(cfg, e.Org)
			en += " of " + tlOrgEn(cfg, e.Org)
		}
		vi += " với vai trò “" + rvi + "”"
		en += " with the “" + ren + "” role"
		if !e.ExpiresAt.IsZero() {
			vi += ", hiệu lực đến " + tlTimeVi(e.ExpiresAt)
			en += ", valid until " + tlTimeEn(e.ExpiresAt)
		}
		return tlEnd(vi), tlEnd(en)

	case domain.TokenRevoked:
		return tlWithReason(avi+" đã thu hồi một mã truy cập (token)", aen+" revoked an access token", e.Reason)

	// Organisation events.
	case domain.FocalPointsSet:
		// Focal points are personal data: name the organisation, never the people.
		return tlEnd(avi + " đã cập nhật thông tin đầu mối liên hệ của " + tlOrgVi(cfg, e.Org)),
			tlEnd(aen + " updated the focal points of " + tlOrgEn(cfg, e.Org))

	case nil:
		return tlEnd(avi + " đã ghi nhận một sự kiện không xác định"), tlEnd(aen + " recorded an unknown event")
	}

	if f := tlExtra[tlEventType(e)]; f != nil { // sentences kept in other files (timeline_text_*.go)
		return f(e, actor, avi, aen, cfg)
	}
	name := tlText(tlEventType(e), tlShortExcerpt)
	return tlEnd(avi + " đã ghi nhận sự kiện loại " + name), tlEnd(aen + " recorded an event of type " + name)
}

// tlDeref turns a non-nil pointer to an event into the event value, so that *domain.NoteAdded
// reads like domain.NoteAdded.
func tlDeref(e domain.Event) domain.Event {
	if e == nil {
		return nil
	}
	if v := reflect.ValueOf(e); v.Kind() == reflect.Pointer && !v.IsNil() {
		if ev, ok := v.Elem().Interface().(domain.Event); ok {
			return ev
		}
	}
	return e
}

// tlEventActor returns the event's By field when it has one.
func tlEventActor(e domain.Event) domain.Actor {
	if e == nil {
		return domain.Actor{}
	}
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Struct {
		return domain.Actor{}
	}
	if f := v.FieldByName("By"); f.IsValid() && f.CanInterface() {
		if a, ok := f.Interface().(domain.Actor); ok {
			return a
		}
	}
	return domain.Actor{}
}

// tlEventType returns e.EventType(), or the Go type name when that is empty or panics (a nil
// pointer to a value-receiver type does).
func tlEventType(e domain.Event) (name string) {
	defer func() {
		if recover() != nil {
			name = fmt.Sprintf("%T", e)
		}
	}()
	if name = e.EventType(); name == "" {
		name = fmt.Sprintf("%T", e)
	}
	return name
}

// tlOrgVi is the Vietnamese display name of an organisation; the slug when unknown.
func tlOrgVi(cfg *domain.Config, slug string) string {
	if cfg != nil {
		if o, ok := cfg.Org(slug); ok && o.NameVi != "" {
			return o.NameVi
		}
	}
	return tlOrgSlug(slug)
}

// tlOrgEn is the English display name of an organisation; the slug when unknown.
func tlOrgEn(cfg *domain.Config, slug string) string {
	if cfg != nil {
		if o, ok := cfg.Org(slug); ok && o.NameEn != "" {
			return o.NameEn
		}
	}
	return tlOrgSlug(slug)
}

func tlOrgSlug(slug string) string {
	if s := tlText(slug, tlShortExcerpt); s != "" {
		return s
	}
	return "?"
}

// tlActorVi is "<user> (<organisation>)" in Vietnamese.
func tlActorVi(cfg *domain.Config, a domain.Actor) string {
	return tlActor(a, "Hệ thống", func(slug string) string { return tlOrgVi(cfg, slug) })
}

// tlActorEn is "<user> (<organisation>)" in English.
func tlActorEn(cfg *domain.Config, a domain.Actor) string {
	return tlActor(a, "The system", func(slug string) string { return tlOrgEn(cfg, slug) })
}

func tlActor(a domain.Actor, nobody string, org func(string) string) string {
	user := tlText(a.User, tlShortExcerpt)
	switch {
	case a.Org == "" && (user == "" || user == "system"):
		// The operator acting through the command line (domain.SystemActor), or nobody.
		return nobody
	case user != "" && a.Org != "":
		return user + " (" + org(a.Org) + ")"
	case user != "":
		return user
	}
	return org(a.Org)
}

// tlOnBehalfVi names the organisation acted for when it is not the actor's own.
func tlOnBehalfVi(cfg *domain.Config, a domain.Actor, org string) string {
	if org == "" || org == a.Org {
		return ""
	}
	return " thay mặt " + tlOrgVi(cfg, org)
}

func tlOnBehalfEn(cfg *domain.Config, a domain.Actor, org string) string {
	if org == "" || org == a.Org {
		return ""
	}
	return " on behalf of " + tlOrgEn(cfg, org)
}

// tlOrgList names organisations: "A và B", "A; B và C" (names contain commas, so items are
// separated by semicolons); beyond tlMaxListed, the rest are counted.
func tlOrgList(cfg *domain.Config, slugs []string, vi bool) string {
	if len(slugs) == 0 {
		if vi {
			return "(không có tổ chức nào)"
		}
		return "(no organisation)"
	}
	names := make([]string, 0, min(len(slugs), tlMaxListed)+1)
	for _, s := range slugs[:min(len(slugs), tlMaxListed)] {
		if vi {
			names = append(names, tlOrgVi(cfg, s))
		} else {
			names = append(names, tlOrgEn(cfg, s))
		}
	}
	if rest := len(slugs) - len(names); rest > 0 {
		if vi {
			names = append(names, strconv.Itoa(rest)+" tổ chức khác")
		} else {
			names = append(names, tlCount(rest, "other organisation", "other organisations"))
		}
	}
	and := " and "
	if vi {
		and = " và "
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], "; ") + and + names[len(names)-1]
}

// tlRecipientOrgs counts the organisations of "org/user" recipient keys.
func tlRecipientOrgs(users []string) int {
	seen := map[string]bool{}
	for _, u := range users {
		org, _, _ := strings.Cut(u, "/")
		seen[org] = true
	}
	return len(seen)
}

// tlClassification describes an incident's classification as list items.
func tlClassification(cfg *domain.Config, typ string, sev domain.Severity, tier domain.Tier, sector string,
	sys *domain.AffectedSystem) (vi, en []string) {
	if typ != "" {
		tvi, ten := tlText(typ, tlShortExcerpt), tlText(typ, tlShortExcerpt)
		if cfg != nil {
			if t, ok := cfg.IncidentType(typ); ok {
				tvi, ten = t.NameVi, t.NameEn
			}
		}
		vi, en = append(vi, "loại: "+tvi), append(en, "type: "+ten)
	}
	if sev != "" || tier != "" {
		var svi, sen []string
		if sev != "" {
			v, e := tlSeverity(sev)
			svi, sen = append(svi, v), append(sen, e)
		}
		switch tier {
		case "":
		case domain.TierOrdinary:
			svi, sen = append(svi, "sự cố thông thường"), append(sen, "ordinary incident")
		case domain.TierSerious:
			svi, sen = append(svi, "sự cố nghiêm trọng"), append(sen, "serious incident")
		default:
			svi, sen = append(svi, "cấp "+tlText(string(tier), tlShortExcerpt)), append(sen, "tier "+tlText(string(tier), tlShortExcerpt))
		}
		vi, en = append(vi, "mức độ: "+strings.Join(svi, ", ")), append(en, "severity: "+strings.Join(sen, ", "))
	}
	if sector != "" {
		svi, sen := tlText(sector, tlShortExcerpt), tlText(sector, tlShortExcerpt)
		if cfg != nil {
			if s, ok := cfg.Sector(sector); ok {
				svi, sen = s.NameVi, s.NameEn
			}
		}
		vi, en = append(vi, "lĩnh vực: "+svi), append(en, "sector: "+sen)
	}
	if sys != nil {
		if name := tlQuote(sys.Name, tlTitleExcerpt); name != "" {
			svi, sen := "hệ thống bị ảnh hưởng: "+name, "affected system: "+name
			if sys.SecurityLevel > 0 {
				svi += ", cấp độ " + strconv.Itoa(sys.SecurityLevel)
				sen += ", security level " + strconv.Itoa(sys.SecurityLevel)
			}
			vi, en = append(vi, svi), append(en, sen)
		}
	}
	return vi, en
}

// tlSeverity translates a severity code.
func tlSeverity(s domain.Severity) (vi, en string) {
	switch s {
	case domain.SeverityLow:
		return "Thấp", "Low"
	case domain.SeverityMedium:
		return "Trung bình", "Medium"
	case domain.SeverityHigh:
		return "Cao", "High"
	case domain.SeverityCritical:
		return "Rất cao", "Critical"
	}
	c := tlText(string(s), tlShortExcerpt)
	return c, c
}

// tlTLP writes a label as FIRST does: "TLP:AMBER+STRICT".
func tlTLP(t domain.TLP) string {
	if t == "" {
		return "TLP:?"
	}
	return "TLP:" + strings.ReplaceAll(tlText(string(t), tlShortExcerpt), "_", "+")
}

// tlResolution translates how an incident ended.
func tlResolution(r domain.Resolution) (vi, en string) {
	switch r {
	case domain.ResolutionResolved:
		return "đã xử lý xong", "resolved"
	case domain.ResolutionFalsePositive:
		return "cảnh báo nhầm, không phải sự cố", "false positive"
	case domain.ResolutionDuplicate:
		return "trùng với sự cố khác", "duplicate of another incident"
	case domain.ResolutionNoAction:
		return "không cần xử lý thêm", "no action required"
	}
	c := tlText(string(r), tlShortExcerpt)
	return c, c
}

// tlIndicatorType translates an indicator type; never the value.
func tlIndicatorType(t domain.IndicatorType) (vi, en string) {
	switch t {
	case domain.IndicatorIPv4:
		return "địa chỉ IPv4", "IPv4 address"
	case domain.IndicatorIPv6:
		return "địa chỉ IPv6", "IPv6 address"
	case domain.IndicatorDomain:
		return "tên miền", "domain name"
	case domain.IndicatorURL:
		return "đường dẫn URL", "URL"
	case domain.IndicatorEmail:
		return "địa chỉ email", "email address"
	case domain.IndicatorMD5:
		return "mã băm MD5", "MD5 hash"
	case domain.IndicatorSHA1:
		return "mã băm SHA-1", "SHA-1 hash"
	case domain.IndicatorSHA256:
		return "mã băm SHA-256", "SHA-256 hash"
	case domain.IndicatorCVE:
		return "mã lỗ hổng CVE", "CVE identifier"
	}
	c := tlText(string(t), tlShortExcerpt)
	return c, c
}

// tlRole translates a role.
func tlRole(r domain.Role) (vi, en string) {
	switch r {
	case domain.RoleCoordinator:
		return "điều phối viên", "coordinator"
	case domain.RoleResponder:
		return "cán bộ ứng cứu", "responder"
	case domain.RoleReviewer:
		return "cán bộ rà soát", "reviewer"
	case domain.RolePartner:
		return "đối tác", "partner"
	case domain.RoleAdmin:
		return "quản trị viên", "administrator"
	case domain.RoleIngest:
		return "tài khoản tiếp nhận dữ liệu tự động", "ingest account"
	}
	c := tlText(string(r), tlShortExcerpt)
	return c, c
}

// tlText puts free text on one line (control characters and runs of spaces become one space)
// and shortens it to limit runes, the last being "…".
func tlText(s string, limit int) string {
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

// tlQuote is tlText in quotation marks, or "" for empty text.
func tlQuote(s string, limit int) string {
	if t := tlText(s, limit); t != "" {
		return "“" + t + "”"
	}
	return ""
}

// tlParen writes list items in parentheses after a space, or nothing.
func tlParen(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return " (" + strings.Join(items, "; ") + ")"
}

// tlColonList writes list items after a colon, or nothing.
func tlColonList(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return ": " + strings.Join(items, "; ")
}

// tlWithReason appends ": <reason>" when there is one, and ends both sentences.
func tlWithReason(vi, en, reason string) (string, string) {
	if r := tlText(reason, tlReasonExcerpt); r != "" {
		vi += ": " + r
		en += ": " + r
	}
	return tlEnd(vi), tlEnd(en)
}

// tlEnd ends a sentence with a full stop unless it already ends with punctuation.
func tlEnd(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', '!', '?', '…':
		return s
	}
	return s + "."
}

// tlSkipped adds the chain steps passed over because the incident may not reach them.
func tlSkipped(cfg *domain.Config, vi, en string, skipped []string) (string, string) {
	if len(skipped) == 0 {
		return vi, en
	}
	return vi + " (bỏ qua " + tlOrgList(cfg, skipped, true) + ", không được phép tiếp nhận sự cố)",
		en + " (passed over " + tlOrgList(cfg, skipped, false) + ", not allowed to receive the incident)"
}

// tlReportForm names a report form of Thông tư 20/2017.
func tlReportForm(f domain.ReportForm) (vi, en string) {
	switch f {
	case domain.ReportFormInitial:
		return "báo cáo ban đầu (Mẫu 03)", "initial report (Mẫu 03)"
	case domain.ReportFormClosing:
		return "báo cáo kết thúc (Mẫu 04)", "closing report (Mẫu 04)"
	}
	s := tlText(string(f), tlShortExcerpt)
	return "báo cáo " + s, "report " + s
}

// tlPeriod names a periodic report's period: "6 tháng đầu năm 2026", "for the first half of 2026".
func tlPeriod(id string, year int) (vi, en string) {
	y := strconv.Itoa(year)
	switch id {
	case "H1":
		return "6 tháng đầu năm " + y, "for the first half of " + y
	case "YEAR":
		return "năm " + y, "for the year " + y
	}
	p := tlText(id, tlShortExcerpt)
	return "kỳ " + p + " năm " + y, "for period " + p + " of " + y
}

// tlCount writes "1 alert", "3 alerts".
func tlCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
