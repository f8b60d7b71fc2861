package timeline

import (
	"strconv"
	"strings"

	"github.com/dieuphoi/dieuphoi/domain"
)

// incidentSentences are the sentences of an incident's own events.
var incidentSentences = []entry{
	on(incidentOpened),
	on(incidentClassified),
	on(leadAssigned),
	on(phaseChanged),
	on(noteAdded),
	on(indicatorAdded),
	on(incidentShared),
	on(recipientsNamed),
	on(tlpChanged),
	on(incidentClosed),
	on(incidentReopened),
}

func incidentOpened(e domain.IncidentOpened, n narrator) Text {
	d := append(n.classification(e.Type, e.Severity, e.Tier, e.Sector, e.AffectedSystem), same(tlp(e.TLP)))
	if e.PAP != "" {
		d = append(d, same("PAP:"+string(e.PAP)))
	}
	t := cat(n.says(" đã mở sự cố ", " opened the incident "), same(quote(e.Title, titleExcerpt)), paren(d))
	if e.Source == domain.SourceAlerts || len(e.AlertIDs) > 0 {
		k := len(e.AlertIDs)
		t = cat(t, bi(", lập từ "+strconv.Itoa(k)+" cảnh báo", ", raised from "+count(k, "alert", "alerts")))
	}
	if !e.DetectedAt.IsZero() {
		t = cat(t, bi(", phát hiện lúc ", ", detected at "), at(e.DetectedAt))
	}
	t = t.end()
	if e.Drill {
		t = cat(t, bi(" Đây là sự cố diễn tập, không tính vào thống kê.", " This is a drill incident and does not count in statistics."))
	}
	return t
}

func incidentClassified(e domain.IncidentClassified, n narrator) Text {
	d := n.classification(e.Type, e.Severity, e.Tier, e.Sector, e.AffectedSystem)
	return cat(n.says(" đã cập nhật phân loại sự cố", " updated the incident's classification"), colonList(d)).end()
}

func leadAssigned(e domain.LeadAssigned, n narrator) Text {
	t := cat(n.says(" đã giao ", " assigned "), n.org(e.Org), bi(" chủ trì xử lý sự cố", " to lead the response"))
	if e.Previous != "" && e.Previous != e.Org {
		t = cat(t, bi(" (thay cho ", " (previously "), n.org(e.Previous), same(")"))
	}
	return t.end()
}

func phaseChanged(e domain.PhaseChanged, n narrator) Text {
	from, to := phase(e.From), phase(e.To)
	var t Text
	switch {
	case e.From == "":
		t = cat(n.says(" đã chuyển sự cố sang giai đoạn ", " moved the incident to the "), to)
	case e.From.Valid() && e.To.Valid() && e.To.Rank() < e.From.Rank():
		t = cat(n.says(" đã đưa sự cố từ giai đoạn ", " moved the incident back from the "), from,
			bi(" trở lại giai đoạn ", " phase to the "), to)
	default:
		t = cat(n.says(" đã chuyển sự cố từ giai đoạn ", " moved the incident from the "), from,
			bi(" sang giai đoạn ", " phase to the "), to)
	}
	return cat(t, bi("", " phase")).because(e.Reason)
}

// phase names an incident response phase, in quotation marks.
func phase(p domain.Phase) Text { return bi("“"+p.LabelVi()+"”", "“"+p.LabelEn()+"”") }

func noteAdded(e domain.NoteAdded, n narrator) Text {
	t := cat(n.says(" đã thêm ghi chú", " added a note"), tlpNote(e.TLP))
	if x := quote(e.Text, noteExcerpt); x != "" {
		t = cat(t, same(": "+x))
	}
	return t.end()
}

// indicatorAdded names the indicator's type, never its value.
func indicatorAdded(e domain.IndicatorAdded, n narrator) Text {
	t := cat(n.says(" đã thêm một dấu hiệu xâm phạm (IoC) loại ", " added an indicator of compromise ("),
		lookup(indicatorTypes, e.Type))
	if e.TLP != "" {
		t = cat(t, bi(" ("+tlp(e.TLP)+")", ", "+tlp(e.TLP)))
	}
	return cat(t, bi("", ")")).end()
}

func incidentShared(e domain.IncidentShared, n narrator) Text {
	return cat(n.says(" đã chia sẻ sự cố với ", " shared the incident with "), n.orgs(e.Orgs)).end()
}

// recipientsNamed gives a count only: who may read a TLP:RED incident is itself restricted.
func recipientsNamed(e domain.RecipientsNamed, n narrator) Text {
	k, orgs := len(e.Users), recipientOrgs(e.Users)
	t := n.says(" đã chỉ định thêm "+strconv.Itoa(k)+" người nhận được phép xem sự cố ở mức TLP:RED",
		" named "+count(k, "more TLP:RED recipient", "more TLP:RED recipients")+" allowed to read the incident")
	if orgs > 1 {
		t = cat(t, bi(" (thuộc "+strconv.Itoa(orgs)+" tổ chức)", " (from "+strconv.Itoa(orgs)+" organisations)"))
	}
	return t.end()
}

// recipientOrgs counts the organisations of "org/user" recipient keys.
func recipientOrgs(users []string) int {
	seen := map[string]bool{}
	for _, u := range users {
		org, _, _ := strings.Cut(u, "/")
		seen[org] = true
	}
	return len(seen)
}

func tlpChanged(e domain.TLPChanged, n narrator) Text {
	from, to := tlp(e.From), tlp(e.To)
	ranked := e.From.Valid() && e.To.Valid()
	var t Text
	switch {
	case ranked && e.To.Rank() > e.From.Rank():
		t = n.says(" đã nâng nhãn TLP của sự cố từ "+from+" lên "+to, " raised the incident's TLP from "+from+" to "+to)
	case ranked && e.To.Rank() < e.From.Rank():
		t = n.says(" đã hạ nhãn TLP của sự cố từ "+from+" xuống "+to, " lowered the incident's TLP from "+from+" to "+to)
	default:
		t = n.says(" đã đổi nhãn TLP của sự cố thành "+to, " changed the incident's TLP to "+to)
	}
	return t.because(e.Reason)
}

func incidentClosed(e domain.IncidentClosed, n narrator) Text {
	return cat(n.says(" đã đóng sự cố, kết quả: ", " closed the incident: "), lookup(resolutions, e.Resolution)).end()
}

func incidentReopened(e domain.IncidentReopened, n narrator) Text {
	return n.says(" đã mở lại sự cố", " reopened the incident").because(e.Reason)
}

// classification describes an incident's classification as list items.
func (n narrator) classification(typ string, sev domain.Severity, tier domain.Tier, sector string,
	sys *domain.AffectedSystem) []Text {
	var d []Text
	if typ != "" {
		d = append(d, cat(bi("loại: ", "type: "), n.incidentType(typ)))
	}
	if sev != "" || tier != "" {
		d = append(d, cat(bi("mức độ: ", "severity: "), gravity(sev, tier)))
	}
	if sector != "" {
		d = append(d, cat(bi("lĩnh vực: ", "sector: "), n.sector(sector)))
	}
	if sys != nil {
		if name := quote(sys.Name, titleExcerpt); name != "" {
			d = append(d, affectedSystem(name, sys.SecurityLevel))
		}
	}
	return d
}

// incidentType names an incident type of the configuration; the code when unknown.
func (n narrator) incidentType(code string) Text {
	if n.cfg != nil {
		if t, ok := n.cfg.IncidentType(code); ok {
			return bi(t.NameVi, t.NameEn)
		}
	}
	return same(clip(code, shortExcerpt))
}

// sector names a sector of the configuration; the code when unknown.
func (n narrator) sector(code string) Text {
	if n.cfg != nil {
		if s, ok := n.cfg.Sector(code); ok {
			return bi(s.NameVi, s.NameEn)
		}
	}
	return same(clip(code, shortExcerpt))
}

// gravity is the severity and the tier, each when known: "Cao, sự cố nghiêm trọng".
func gravity(sev domain.Severity, tier domain.Tier) Text {
	var parts []Text
	if sev != "" {
		parts = append(parts, lookup(severities, sev))
	}
	if tier != "" {
		t, ok := tiers[tier]
		if !ok {
			c := clip(string(tier), shortExcerpt)
			t = bi("cấp "+c, "tier "+c)
		}
		parts = append(parts, t)
	}
	return join(parts, ", ")
}

// affectedSystem names the affected system (already quoted) and its security level.
func affectedSystem(name string, level int) Text {
	t := bi("hệ thống bị ảnh hưởng: "+name, "affected system: "+name)
	if level > 0 {
		t = cat(t, bi(", cấp độ "+strconv.Itoa(level), ", security level "+strconv.Itoa(level)))
	}
	return t
}

// tiers translates incident tiers.
var tiers = map[domain.Tier]Text{
	domain.TierOrdinary: bi("sự cố thông thường", "ordinary incident"),
	domain.TierSerious:  bi("sự cố nghiêm trọng", "serious incident"),
}

// resolutions translates how an incident ended.
var resolutions = map[domain.Resolution]Text{
	domain.ResolutionResolved:      bi("đã xử lý xong", "resolved"),
	domain.ResolutionFalsePositive: bi("cảnh báo nhầm, không phải sự cố", "false positive"),
	domain.ResolutionDuplicate:     bi("trùng với sự cố khác", "duplicate of another incident"),
	domain.ResolutionNoAction:      bi("không cần xử lý thêm", "no action required"),
}

// indicatorTypes translates indicator types; sentences never carry an indicator's value.
var indicatorTypes = map[domain.IndicatorType]Text{
	domain.IndicatorIPv4:   bi("địa chỉ IPv4", "IPv4 address"),
	domain.IndicatorIPv6:   bi("địa chỉ IPv6", "IPv6 address"),
	domain.IndicatorDomain: bi("tên miền", "domain name"),
	domain.IndicatorURL:    bi("đường dẫn URL", "URL"),
	domain.IndicatorEmail:  bi("địa chỉ email", "email address"),
	domain.IndicatorMD5:    bi("mã băm MD5", "MD5 hash"),
	domain.IndicatorSHA1:   bi("mã băm SHA-1", "SHA-1 hash"),
	domain.IndicatorSHA256: bi("mã băm SHA-256", "SHA-256 hash"),
	domain.IndicatorCVE:    bi("mã lỗ hổng CVE", "CVE identifier"),
}
