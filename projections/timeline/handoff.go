package timeline

import "github.com/dieuphoi/dieuphoi/domain"

// handoffSentences are the sentences of handoffs: offered, answered, and the deadline events
// the scheduler records as the system when one falls due.
var handoffSentences = []entry{
	on(handoffOffered),
	on(handoffAcknowledged),
	on(handoffAccepted),
	on(handoffDeclined),
	on(handoffReturned),
	on(handoffWithdrawn),
	on(handoffDeadlineMissed),
	on(handoffReminderDue),
	on(handoffChainExhausted),
	on(handoffChainBlocked),
}

// handoffOffered quotes the requested action but never the summary, which carries the
// incident's details under the handoff's own TLP.
func handoffOffered(e domain.HandoffOffered, n narrator) Text {
	t := cat(n.who, n.onBehalf(e.From), bi(" đã đề nghị chuyển giao sự cố cho ", " offered to hand the incident over to "),
		n.org(e.To), tlpNote(e.TLP))
	if e.Auto {
		t = cat(t, bi(" (tự động, đơn vị tiếp theo trong chuỗi chuyển giao)", " (automatically, next in the handoff chain)"),
			n.skipped(e.Skipped))
	}
	if e.ReleaseOnAccept {
		t = cat(t, bi("; khi được tiếp nhận, ", "; once accepted, "), n.org(e.From),
			bi(" sẽ thôi giữ quyền truy cập sự cố", " gives up its access to the incident"))
	}
	t = t.end()
	if x := clip(e.RequestedAction, shortExcerpt); x != "" {
		t = cat(t, bi(" Nội dung đề nghị: ", " Requested action: "), same(endSentence(x)))
	}
	return cat(t, due(" Hạn trả lời: ", " Answer by ", e.Deadline))
}

func handoffAcknowledged(_ domain.HandoffAcknowledged, n narrator) Text {
	return n.says(" đã xác nhận đã nhận đề nghị chuyển giao sự cố, chưa trả lời tiếp nhận hay từ chối",
		" acknowledged receipt of the handoff offer, without accepting or declining it yet").end()
}

func handoffAccepted(e domain.HandoffAccepted, n narrator) Text {
	t := n.says(" đã tiếp nhận chuyển giao sự cố", " accepted the handoff and took ownership of the incident")
	if e.OriginReleased {
		// The event does not name the origin: the incident's first entry does.
		t = cat(t, bi("; theo đề nghị chuyển giao, đơn vị mở sự cố thôi giữ quyền truy cập sự cố (trừ khi còn chủ trì hoặc được chia sẻ, chuyển cấp)",
			"; as the offer asked, the originating organisation no longer holds the incident (unless it leads it, or it was shared or escalated to it)"))
	}
	return t.end()
}

func handoffDeclined(e domain.HandoffDeclined, n narrator) Text {
	return n.says(" đã từ chối tiếp nhận chuyển giao sự cố", " declined the handoff").because(e.Reason)
}

func handoffReturned(e domain.HandoffReturned, n narrator) Text {
	return n.says(" đã trả lại sự cố cho đơn vị đã chuyển giao",
		" handed the incident back to the organisation that offered it").because(e.Reason)
}

func handoffWithdrawn(e domain.HandoffWithdrawn, n narrator) Text {
	return n.says(" đã rút lại đề nghị chuyển giao sự cố", " withdrew the handoff offer").because(e.Reason)
}

func handoffDeadlineMissed(e domain.HandoffDeadlineMissed, n narrator) Text {
	return cat(n.says(" ghi nhận ", " recorded that "), n.org(e.To),
		bi(" chưa trả lời đề nghị chuyển giao sự cố trước hạn ", " did not answer the handoff offer by "), at(e.Deadline),
		bi("; đề nghị đã hết hạn", "; the offer expired")).end()
}

func handoffReminderDue(e domain.HandoffReminderDue, n narrator) Text {
	return cat(n.says(" đã nhắc ", " reminded "), n.org(e.To),
		bi(" trả lời đề nghị chuyển giao sự cố trước ", " to answer the handoff offer by "), at(e.Deadline)).end()
}

func handoffChainExhausted(e domain.HandoffChainExhausted, n narrator) Text {
	return cat(n.says(" ghi nhận không còn đơn vị nào để đề nghị chuyển giao sự cố", " recorded that nobody is left to offer the incident to"),
		n.keeps(e.Owner), n.skipped(e.Skipped)).end()
}

// handoffChainBlocked says why in both languages; the event's own Reason stays out.
func handoffChainBlocked(e domain.HandoffChainBlocked, n narrator) Text {
	return cat(n.says(" ghi nhận chuỗi chuyển giao dừng lại vì nhãn TLP của sự cố không cho phép đưa thêm đơn vị mới",
		" recorded that the handoff chain stopped: the incident's TLP lets no new organisation in"),
		n.listed(" (chưa đề nghị tới ", " (not offered to: ", e.Pending, ")"), n.keeps(e.Owner)).end()
}
