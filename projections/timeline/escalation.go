package timeline

import "github.com/dieuphoi/dieuphoi/domain"

// escalationSentences are the sentences of escalations: asked, answered, and the deadline
// events the scheduler records as the system when one falls due.
var escalationSentences = []entry{
	on(incidentEscalated),
	on(escalationAcknowledged),
	on(escalationResolved),
	on(escalationDeadlineMissed),
	on(escalationReminderDue),
	on(escalationChainExhausted),
	on(escalationChainBlocked),
}

func incidentEscalated(e domain.IncidentEscalated, n narrator) Text {
	t := cat(n.who, n.onBehalf(e.From), bi(" đã chuyển cấp sự cố lên ", " escalated the incident to "), n.org(e.To))
	switch {
	case e.Auto && e.Follows != "":
		t = cat(t, bi(" vì bước trước trong chuỗi chuyển cấp chưa được xác nhận đúng hạn",
			" because the previous step of the escalation chain was not acknowledged in time"), n.skipped(e.Skipped)).because(e.Reason)
	case e.Auto:
		rule := clip(e.RuleID, shortExcerpt)
		t = cat(t, bi(" theo chính sách chuyển cấp (quy tắc "+rule+")", " under the escalation policy (rule "+rule+")"),
			n.skipped(e.Skipped)).end()
	default:
		t = t.because(e.Reason)
	}
	return cat(t, due(" Hạn xác nhận: ", " Acknowledge by ", e.Deadline))
}

func escalationAcknowledged(e domain.EscalationAcknowledged, n narrator) Text {
	t := n.says(" đã xác nhận yêu cầu chuyển cấp sự cố", " acknowledged the escalation")
	if e.Late {
		t = cat(t, bi(" (muộn, đã quá hạn xác nhận)", " (late: after the acknowledgement deadline)"))
	}
	return t.end()
}

func escalationResolved(e domain.EscalationResolved, n narrator) Text {
	return n.says(" đã kết thúc yêu cầu chuyển cấp sự cố", " resolved the escalation").because(e.Resolution)
}

func escalationDeadlineMissed(e domain.EscalationDeadlineMissed, n narrator) Text {
	return cat(n.says(" ghi nhận ", " recorded that "), n.org(e.To),
		bi(" chưa xác nhận yêu cầu chuyển cấp sự cố trước hạn ", " did not acknowledge the escalation by "), at(e.Deadline)).end()
}

func escalationReminderDue(e domain.EscalationReminderDue, n narrator) Text {
	return cat(n.says(" đã nhắc ", " reminded "), n.org(e.To),
		bi(" xác nhận yêu cầu chuyển cấp sự cố trước ", " to acknowledge the escalation by "), at(e.Deadline)).end()
}

func escalationChainExhausted(e domain.EscalationChainExhausted, n narrator) Text {
	return cat(n.says(" ghi nhận chuỗi chuyển cấp đã hết: không còn đơn vị nào để chuyển cấp tiếp",
		" recorded that the escalation chain is exhausted: nobody is left to escalate to"), n.skipped(e.Skipped)).end()
}

// escalationChainBlocked says why in both languages; the event's own Reason stays out.
func escalationChainBlocked(e domain.EscalationChainBlocked, n narrator) Text {
	return cat(n.says(" ghi nhận chuỗi chuyển cấp dừng lại vì nhãn TLP của sự cố không cho phép đưa thêm đơn vị mới",
		" recorded that the escalation chain stopped: the incident's TLP lets no new organisation in"),
		n.listed(" (chưa chuyển tới ", " (not reached: ", e.Pending, ")")).end()
}
