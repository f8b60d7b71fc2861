package timeline

import (
	"time"

	"github.com/dieuphoi/dieuphoi/domain"
)

// identityTestCases are the timeline cases of accounts, tokens and organisations' focal points.
func identityTestCases() []testCase {
	return []testCase{
		{name: "UserRegistered", actor: testAdmin,
			event: domain.UserRegistered{
				User:        "dic/lan.nguyen",
				Org:         "dic",
				Name:        "lan.nguyen",
				DisplayName: "Nguyễn Thị Lan",
				Roles:       []domain.Role{domain.RoleCoordinator, domain.RoleResponder},
				Stamp:       domain.Stamp{By: testAdmin, At: testAt},
			},
			vi: []string{"đã tạo tài khoản lan.nguyen cho", "với vai trò: điều phối viên, cán bộ ứng cứu"},
			en: []string{"registered the account lan.nguyen for", "with the roles: coordinator, responder"}},
		{name: "RoleGranted", actor: testAdmin,
			event: domain.RoleGranted{Role: domain.RoleReviewer, Stamp: domain.Stamp{By: testAdmin, At: testAt}},
			vi:    []string{"đã cấp vai trò “cán bộ rà soát” cho tài khoản"}, en: []string{"granted the “reviewer” role"}},
		{name: "RoleRevoked", actor: testAdmin,
			event: domain.RoleRevoked{Role: domain.RoleAdmin, Stamp: domain.Stamp{By: testAdmin, At: testAt}},
			vi:    []string{"đã thu hồi vai trò “quản trị viên” của tài khoản"}, en: []string{"revoked the “administrator” role"}},
		{name: "UserDisabled", actor: testAdmin,
			event: domain.UserDisabled{Reason: "Cán bộ chuyển công tác", Stamp: domain.Stamp{By: testAdmin, At: testAt}},
			vi:    []string{"đã vô hiệu hóa tài khoản: Cán bộ chuyển công tác."}, en: []string{"disabled the account"}},
		{name: "TokenIssued", actor: testAdmin,
			event: domain.TokenIssued{
				TokenID:   "tok-7f3a9c",
				Org:       "dic",
				User:      "lan.nguyen",
				Role:      domain.RoleCoordinator,
				IssuedAt:  testAt,
				ExpiresAt: testDeadline.Add(24 * time.Hour),
				Stamp:     domain.Stamp{By: testAdmin},
			},
			vi:     []string{"đã cấp mã truy cập (token) cho tài khoản lan.nguyen của", "với vai trò “điều phối viên”", "hiệu lực đến 14:30 22/11/2026."},
			en:     []string{"issued an access token to the account lan.nguyen of", "with the “coordinator” role", "valid until 2026-11-22 14:30 ICT."},
			absent: []string{"tok-7f3a9c"}},
		{name: "TokenRevoked", actor: testAdmin,
			event:  domain.TokenRevoked{TokenID: "tok-7f3a9c", Reason: "Máy tính xách tay bị mất", Stamp: domain.Stamp{By: testAdmin, At: testAt}},
			vi:     []string{"đã thu hồi một mã truy cập (token): Máy tính xách tay bị mất."},
			en:     []string{"revoked an access token: Máy tính xách tay bị mất."},
			absent: []string{"tok-7f3a9c"}},
		{name: "SignInLinkIssued", actor: testAdmin,
			event: domain.SignInLinkIssued{TokenID: "tok-7f3a9c", CodeHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				ExpiresAt: testDeadline, Stamp: domain.Stamp{By: testAdmin, At: testAt}},
			vi:     []string{"đã tạo một liên kết đăng nhập dùng một lần, hiệu lực đến 14:30 21/11/2026."},
			en:     []string{"created a one-time sign-in link, valid until 2026-11-21 14:30 ICT."},
			absent: []string{"tok-7f3a9c", "9f86d081"}},
		{name: "SignInLinkRedeemed", actor: testDIC,
			event:  domain.SignInLinkRedeemed{TokenID: "tok-7f3a9c", Stamp: domain.Stamp{By: testDIC, At: testAt}},
			vi:     []string{"đã đăng nhập bằng liên kết dùng một lần."},
			en:     []string{"signed in with a one-time sign-in link."},
			absent: []string{"tok-7f3a9c"}},
		{name: "FocalPointsSet", actor: testDIC,
			event: domain.FocalPointsSet{
				Org:     "dic",
				Primary: &domain.FocalPoint{Name: "Trần Văn Hùng", Title: "Phó Giám đốc", Phone: "+84 912 345 678", Email: "hung.tv@dic.example.gov.vn"},
				Backup:  &domain.FocalPoint{Name: "Lê Thị Mai", Phone: "0236 3822 111", Email: "mai.lt@dic.example.gov.vn"},
				Stamp:   domain.Stamp{By: testDIC, At: testAt},
			},
			vi:     []string{"đã cập nhật thông tin đầu mối liên hệ của"},
			en:     []string{"updated the focal points of"},
			absent: testSecrets},
	}
}
