package timeline

import (
	"strconv"

	"github.com/dieuphoi/dieuphoi/domain"
)

// reportingSentences are the sentences of notifications and reports that Thông tư 20/2017
// requires, and of their deadlines.
var reportingSentences = []entry{
	on(notificationRecorded),
	on(notificationDeadlineMissed),
	on(reportSubmitted),
	on(closingReportOverdue),
	on(periodicReportSubmitted),
	on(periodicReportOverdue),
}

func notificationRecorded(e domain.NotificationRecorded, n narrator) Text {
	t := cat(n.says(" đã ghi nhận việc thông báo sự cố cho ", " recorded that the incident was reported to "), n.orgs(e.Orgs))
	if ch := clip(e.Channel, shortExcerpt); ch != "" {
		t = cat(t, bi(" qua "+ch, " by "+ch))
	}
	if ref := clip(e.Reference, shortExcerpt); ref != "" {
		t = cat(t, bi(" (văn bản/số hiệu: "+ref+")", " (reference: "+ref+")"))
	}
	return drill(t.end(), e.Drill)
}

func notificationDeadlineMissed(e domain.NotificationDeadlineMissed, n narrator) Text {
	when := at(e.Due)
	t := n.says(" ghi nhận đã quá hạn thông báo sự cố ("+when.Vi+", Điều 9 Thông tư 20/2017)",
		" recorded that the notification deadline ("+when.En+", Art. 9 of Circular 20/2017) passed")
	if len(e.Missing) > 0 {
		t = cat(t, bi(" mà chưa thông báo cho ", " without notifying "), n.orgs(e.Missing))
	}
	return drill(t.end(), e.Drill)
}

// drill marks a finished sentence as being about a drill.
func drill(t Text, isDrill bool) Text {
	if !isDrill {
		return t
	}
	return cat(t, bi(" Đây là diễn tập.", " This is a drill."))
}

// reportSubmitted names the form and reference; the report's summary stays out.
func reportSubmitted(e domain.ReportSubmitted, n narrator) Text {
	form, ok := reportForms[e.Form]
	if !ok {
		s := clip(string(e.Form), shortExcerpt)
		form = bi("báo cáo "+s, "report "+s)
	}
	return filed(cat(n.says(" đã nộp ", " submitted the "), form), e.Reference, e.Late)
}

func closingReportOverdue(e domain.ClosingReportOverdue, n narrator) Text {
	return cat(n.says(" ghi nhận ", " recorded that "), n.org(e.Owner),
		bi(" chưa nộp báo cáo kết thúc (Mẫu 04) trước hạn ", " had not submitted the closing report (Mẫu 04) by "), at(e.Due)).end()
}

func periodicReportSubmitted(e domain.PeriodicReportSubmitted, n narrator) Text {
	t := cat(n.says(" đã nộp báo cáo tổng hợp định kỳ (Mẫu 05) ", " submitted the periodic summary report (Mẫu 05) "),
		period(e.Period, e.Year), bi(" của ", " of "), n.org(e.Org))
	return filed(t, e.Reference, e.Late)
}

func periodicReportOverdue(e domain.PeriodicReportOverdue, n narrator) Text {
	return cat(n.says(" ghi nhận ", " recorded that "), n.org(e.Org),
		bi(" chưa nộp báo cáo tổng hợp định kỳ (Mẫu 05) ", " had not submitted the periodic summary report (Mẫu 05) "),
		period(e.Period, e.Year), bi(" trước hạn ", " by "), at(e.Due)).end()
}

// filed ends the sentence of a submitted report with its reference and whether it was late.
func filed(t Text, reference string, late bool) Text {
	if ref := clip(reference, shortExcerpt); ref != "" {
		t = cat(t, bi(", số hiệu "+ref, ", reference "+ref))
	}
	if late {
		t = cat(t, bi(" (muộn, đã quá hạn)", " (late: after the deadline)"))
	}
	return t.end()
}

// reportForms names the report forms of Thông tư 20/2017.
var reportForms = map[domain.ReportForm]Text{
	domain.ReportFormInitial: bi("báo cáo ban đầu (Mẫu 03)", "initial report (Mẫu 03)"),
	domain.ReportFormClosing: bi("báo cáo kết thúc (Mẫu 04)", "closing report (Mẫu 04)"),
}

// period names a periodic report's period: "6 tháng đầu năm 2026", "for the first half of 2026".
func period(id string, year int) Text {
	y := strconv.Itoa(year)
	switch id {
	case "H1":
		return bi("6 tháng đầu năm "+y, "for the first half of "+y)
	case "YEAR":
		return bi("năm "+y, "for the year "+y)
	}
	p := clip(id, shortExcerpt)
	return bi("kỳ "+p+" năm "+y, "for period "+p+" of "+y)
}
