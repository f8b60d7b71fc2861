package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/dieuphoi/dieuphoi/app"
	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
)

// demoNamespace derives the demo's fixed ids, so that running the demo twice records nothing new.
var demoNamespace = uuid.MustParse("6f1d4e0a-3c55-4d7e-9a57-2b8d0c1e9f31")

func demoID(name string) string { return uuid.NewSHA1(demoNamespace, []byte(name)).String() }

// runDemo records a drill through the same domain commands the API issues: a ransomware alert at
// the provincial hospital, escalated from the DIC to the police, handed off to the health-sector
// CERT, reviewed by the subcommittee; and a phishing campaign still waiting on VNCERT/CC.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	if err := toolFlags("demo", args, getenv, stderr, &c, "regulatory configuration", nil); err != nil {
		return err
	}
	dcfg, el, err := openTool(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer el.shutdown()
	n, err := recordDemo(ctx, el.store, dcfg, time.Now())
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(stdout, "the demo scenario is already recorded; nothing new")
	} else {
		fmt.Fprintf(stdout, "recorded the demo drill: %d commands (2 incidents, flagged as drills)\n", n)
	}
	fmt.Fprintln(stdout, "see it: `make run`, then query board/timeline with a token from `dieuphoi token --org dic --user lan --role coordinator`")
	return nil
}

type demoStep struct {
	who      domain.Actor
	incident string
	cmd      domain.Command
	// done is an error code that means another actor already did this step (the running
	// service's deadline scheduler escalates serious incidents by itself).
	done string
}

// recordDemo runs the scenario and returns how many commands recorded something new.
func recordDemo(ctx context.Context, st *eventstore.Store, cfg *domain.Config, now time.Time) (int, error) {
	application := app.New(app.Deps{Events: st, Config: cfg})
	lan := domain.Actor{User: "lan", Org: "dic", Role: domain.RoleCoordinator}
	tuan := domain.Actor{User: "tuan", Org: "police", Role: domain.RoleCoordinator}
	minh := domain.Actor{User: "minh", Org: "cert-health", Role: domain.RolePartner}
	hoa := domain.Actor{User: "hoa", Org: "subcommittee", Role: domain.RoleReviewer}
	vy := domain.Actor{User: "vy", Org: "dic", Role: domain.RoleResponder}
	hospital, phishing := demoID("incident/hospital"), demoID("incident/phishing")
	ho, esc2 := demoID("handoff/cert-health"), demoID("escalation/vncert")
	esc := domain.AutoEscalationID(hospital, "serious") // the policy escalates serious incidents to the police at once
	note := func(id, text string) domain.Command { return domain.AddNote{NoteID: demoID("note/" + id), Text: text} }
	phase := func(p domain.Phase) domain.Command { return domain.ChangePhase{Phase: p} }
	steps := []demoStep{
		{lan, hospital, domain.OpenIncident{
			Title:       "Mã độc tống tiền tại Bệnh viện Đa khoa tỉnh (diễn tập)",
			Description: "SOC của Sở phát hiện lưu lượng mã hoá bất thường từ máy chủ HIS; nhiều máy trạm khoa Cấp cứu hiển thị thông báo đòi tiền chuộc.",
			Type:        "RANSOMWARE", Sector: "HEALTH", Severity: domain.SeverityCritical, Tier: domain.TierSerious,
			TLP: domain.TLPAmber, DetectedAt: now.Add(-2 * time.Hour), Drill: true,
			AffectedSystem: &domain.AffectedSystem{Name: "Hệ thống thông tin bệnh viện (HIS)", OwnerOrg: "dept-health", SecurityLevel: 3, InfoClass: domain.InfoPersonal},
		}, ""},
		{vy, hospital, domain.AddIndicator{IndicatorID: demoID("ioc/hash"), Type: domain.IndicatorSHA256,
			Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, ""},
		{vy, hospital, domain.AddIndicator{IndicatorID: demoID("ioc/c2"), Type: domain.IndicatorDomain, Value: "update-his-secure.example"}, ""},
		{lan, hospital, phase(domain.PhaseTriage), ""},
		{vy, hospital, note("isolate", "Đã cô lập 14 máy trạm và máy chủ HIS khỏi mạng; sao lưu gần nhất lúc 02:00."), ""},
		{domain.SystemActor, hospital, domain.AutoEscalate{}, domain.ECONFLICT},
		{lan, hospital, domain.RecordNotification{Orgs: []string{"vncert", "dept-health"}, Channel: "công văn điện tử",
			Reference: "Công văn số 112/SKHCN-CNTT (diễn tập)"}, ""},
		{tuan, hospital, domain.AcknowledgeEscalation{EscalationID: esc}, ""},
		{lan, hospital, domain.AssignLead{Org: "police"}, ""},
		{lan, hospital, domain.Share{Orgs: []string{"subcommittee"}}, ""},
		{tuan, hospital, phase(domain.PhaseContainment), ""},
		{tuan, hospital, note("police", "Đã thu thập nhật ký tường lửa và ảnh bộ nhớ máy chủ HIS để điều tra."), ""},
		{lan, hospital, domain.OfferHandoff{HandoffID: ho, ToOrg: "cert-health", AnswerWithin: 4 * time.Hour,
			Summary: "Ransomware trên HIS bệnh viện tỉnh; mẫu mã độc và IoC đã đính kèm.", RequestedAction: "Phân tích mẫu, hỗ trợ gỡ bỏ và khôi phục dữ liệu."}, ""},
		{minh, hospital, domain.AcceptHandoff{HandoffID: ho}, ""},
		{minh, hospital, phase(domain.PhaseEradication), ""},
		{minh, hospital, note("cert", "Mẫu thuộc họ LockBit; đã gỡ bỏ khỏi máy chủ, khôi phục từ bản sao lưu 02:00."), ""},
		{minh, hospital, phase(domain.PhaseRecovery), ""},
		{minh, hospital, domain.ReturnHandoff{HandoffID: ho, Reason: "Hệ thống đã khôi phục, chuyển lại để đánh giá."}, ""},
		{lan, hospital, phase(domain.PhaseReview), ""},
		{hoa, hospital, note("review", "Tiểu ban: phối hợp đúng quy trình; cần rút ngắn thời gian xác nhận chuyển cấp xuống dưới 10 phút."), ""},
		{lan, hospital, domain.CloseIncident{Resolution: domain.ResolutionResolved, Summary: "Đã khôi phục HIS; báo cáo kết thúc (Mẫu 04) gửi VNCERT/CC."}, ""},
		{lan, hospital, domain.SubmitReport{Form: domain.ReportFormClosing, Reference: "Báo cáo 27/BC-SKHCN (diễn tập)",
			Summary: "Sự cố mã hoá dữ liệu HIS, xử lý trong 9 giờ với sự hỗ trợ của CERT y tế."}, ""},
		{vy, phishing, domain.OpenIncident{Title: "Thư giả mạo gửi cán bộ Sở Tài chính (diễn tập)", Type: "PHISHING", Sector: "FINANCE",
			Severity: domain.SeverityMedium, TLP: domain.TLPGreen, DetectedAt: now.Add(-30 * time.Minute), Drill: true}, ""},
		{lan, phishing, domain.Escalate{EscalationID: esc2, ToOrg: "vncert", AckWithin: 30 * time.Minute,
			Reason: "Chiến dịch lừa đảo nhắm vào nhiều tỉnh; đề nghị VNCERT/CC điều phối."}, ""},
	}
	recorded := 0
	for n, s := range steps {
		res, err := application.Execute(ctx, app.Request{Actor: s.who, AggregateID: s.incident, Command: s.cmd,
			Key: demoID(fmt.Sprint("step/", n)), NoWait: true})
		if err != nil && s.done != "" && domain.ErrorCode(err) == s.done {
			continue // done already, by the service itself
		}
		if err != nil {
			return recorded, fmt.Errorf("demo step %d (%s/%s): %w", n+1, s.who.Org, s.who.User, err)
		}
		if !res.Duplicate && res.Events > 0 {
			recorded++
		}
	}
	return recorded, nil
}
