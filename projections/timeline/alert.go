package timeline

import (
	"strconv"
	"strings"

	"github.com/dieuphoi/dieuphoi/domain"
)

// alertSentences are the sentences of SOC alerts, of alerts merged into incidents, and of
// suppression rules.
var alertSentences = []entry{
	on(alertReceived),
	on(alertRepeated),
	on(alertDismissed),
	on(alertPromoted),
	on(alertSuppressed),
	on(alertCorrelated),
	on(alertDetached),
	on(incidentAlertsMerged),
	on(incidentAlertDetached),
	on(suppressionSet),
	on(suppressionRemoved),
}

// alertReceived counts the alert's indicators; their values, the asset and the raw report stay
// out.
func alertReceived(e domain.AlertReceived, n narrator) Text {
	title := quote(e.Title, titleExcerpt)
	t := n.says(" đã tiếp nhận cảnh báo "+title, " received the alert "+title)
	if src := clip(e.Source, shortExcerpt); src != "" {
		t = cat(t, bi(" từ nguồn "+src, " from source "+src))
	}
	if e.Org != "" && e.Org != n.actor.Org {
		t = cat(t, bi(" cho ", " for "), n.org(e.Org))
	}
	t = cat(t, paren(alertDetails(e)))
	if !e.ObservedAt.IsZero() {
		t = cat(t, bi(", ghi nhận lúc ", ", observed at "), at(e.ObservedAt))
	}
	return t.end()
}

// alertDetails lists an alert's severity, TLP and number of indicators, as far as known.
func alertDetails(e domain.AlertReceived) []Text {
	var d []Text
	if e.Severity != "" {
		d = append(d, cat(bi("mức độ: ", "severity: "), lookup(severities, e.Severity)))
	}
	if e.TLP != "" {
		d = append(d, same(tlp(e.TLP)))
	}
	if k := len(e.Indicators); k > 0 {
		d = append(d, bi("kèm "+strconv.Itoa(k)+" dấu hiệu xâm phạm", count(k, "indicator", "indicators")))
	}
	return d
}

func alertRepeated(e domain.AlertRepeated, n narrator) Text {
	t := n.says(" đã báo lại cảnh báo (tổng cộng "+strconv.Itoa(e.Count)+" lần)",
		" reported the alert again ("+count(e.Count, "time", "times")+" in all)")
	if !e.At.IsZero() {
		t = cat(t, bi(", lần này ghi nhận lúc ", ", this time observed at "), at(e.At))
	}
	return t.end()
}

func alertDismissed(e domain.AlertDismissed, n narrator) Text {
	return n.says(" đã đóng cảnh báo, không lập sự cố", " dismissed the alert without opening an incident").because(e.Reason)
}

func alertPromoted(e domain.AlertPromoted, n narrator) Text {
	id := clip(e.Incident, shortExcerpt)
	if e.Merged {
		return n.says(" đã gộp cảnh báo vào sự cố "+id, " merged the alert into incident "+id).end()
	}
	return n.says(" đã chuyển cảnh báo vào sự cố "+id, " promoted the alert into incident "+id).end()
}

func alertSuppressed(e domain.AlertSuppressed, n narrator) Text {
	title, rule := quote(e.Report.Title, titleExcerpt), clip(e.Rule, shortExcerpt)
	return n.says(" đã gửi cảnh báo "+title+", bị chặn theo quy tắc "+rule,
		" sent the alert "+title+", suppressed by rule "+rule).end()
}

func alertCorrelated(e domain.AlertCorrelated, n narrator) Text {
	k, ids := len(e.Incidents), clip(strings.Join(e.Incidents, ", "), titleExcerpt)
	return n.says(" đã gửi cảnh báo trùng tài sản hoặc dấu hiệu với "+strconv.Itoa(k)+" sự cố đang mở: "+ids,
		" sent an alert that shares its asset or an indicator with "+count(k, "open incident", "open incidents")+": "+ids).end()
}

func alertDetached(e domain.AlertDetached, n narrator) Text {
	id := clip(e.Incident, shortExcerpt)
	return n.says(" đã tách cảnh báo khỏi sự cố "+id, " detached the alert from incident "+id).because(e.Reason)
}

func incidentAlertsMerged(e domain.IncidentAlertsMerged, n narrator) Text {
	k := len(e.Alerts)
	return n.says(" đã gộp "+strconv.Itoa(k)+" cảnh báo vào sự cố", " merged "+count(k, "alert", "alerts")+" into the incident").end()
}

func incidentAlertDetached(e domain.IncidentAlertDetached, n narrator) Text {
	id := clip(e.Alert, shortExcerpt)
	return n.says(" đã tách cảnh báo "+id+" khỏi sự cố", " detached the alert "+id+" from the incident").because(e.Reason)
}

func suppressionSet(e domain.SuppressionSet, n narrator) Text {
	src := clip(e.Source, shortExcerpt)
	return cat(n.says(" đã đặt quy tắc chặn cảnh báo của nguồn "+src+" đến ", " set a rule suppressing alerts of source "+src+" until "),
		at(e.Until)).because(e.Reason)
}

func suppressionRemoved(e domain.SuppressionRemoved, n narrator) Text {
	return n.says(" đã gỡ quy tắc chặn cảnh báo", " removed the suppression rule").because(e.Reason)
}
