package timeline

import "github.com/dieuphoi/dieuphoi/domain"

// identitySentences are the sentences of accounts, access tokens and organisations' focal
// points. A token never appears, nor its id, which is no use to a reader.
var identitySentences = []entry{
	on(userRegistered),
	on(roleGranted),
	on(roleRevoked),
	on(userDisabled),
	on(tokenIssued),
	on(tokenRevoked),
	on(signInLinkIssued),
	on(signInLinkRedeemed),
	on(focalPointsSet),
}

func userRegistered(e domain.UserRegistered, n narrator) Text {
	login := clip(e.Name, shortExcerpt)
	if login == "" {
		login = clip(e.User, shortExcerpt)
	}
	t := n.says(" đã tạo tài khoản "+login, " registered the account "+login)
	if e.Org != "" {
		t = cat(t, bi(" cho ", " for "), n.org(e.Org))
	}
	if len(e.Roles) > 0 {
		t = cat(t, roleList(e.Roles))
	}
	return t.end()
}

// roleList is " với vai trò: …" naming roles.
func roleList(roles []domain.Role) Text {
	names := make([]Text, len(roles))
	for i, r := range roles {
		names[i] = lookup(roleNames, r)
	}
	label := bi(" với vai trò: ", " with the roles: ")
	if len(roles) == 1 {
		label.En = " with the role: "
	}
	return cat(label, join(names, ", "))
}

func roleGranted(e domain.RoleGranted, n narrator) Text {
	return cat(n.says(" đã cấp vai trò “", " granted the “"), lookup(roleNames, e.Role),
		bi("” cho tài khoản", "” role to the account")).end()
}

func roleRevoked(e domain.RoleRevoked, n narrator) Text {
	return cat(n.says(" đã thu hồi vai trò “", " revoked the “"), lookup(roleNames, e.Role),
		bi("” của tài khoản", "” role from the account")).end()
}

func userDisabled(e domain.UserDisabled, n narrator) Text {
	return n.says(" đã vô hiệu hóa tài khoản", " disabled the account").because(e.Reason)
}

func tokenIssued(e domain.TokenIssued, n narrator) Text {
	user := clip(e.User, shortExcerpt)
	t := n.says(" đã cấp mã truy cập (token) cho tài khoản "+user, " issued an access token to the account "+user)
	if e.Org != "" {
		t = cat(t, bi(" của ", " of "), n.org(e.Org))
	}
	t = cat(t, bi(" với vai trò “", " with the “"), lookup(roleNames, e.Role), bi("”", "” role"))
	if !e.ExpiresAt.IsZero() {
		t = cat(t, bi(", hiệu lực đến ", ", valid until "), at(e.ExpiresAt))
	}
	return t.end()
}

func tokenRevoked(e domain.TokenRevoked, n narrator) Text {
	return n.says(" đã thu hồi một mã truy cập (token)", " revoked an access token").because(e.Reason)
}

// signInLinkIssued never carries the code, nor its hash: they are no use to a reader.
func signInLinkIssued(e domain.SignInLinkIssued, n narrator) Text {
	t := n.says(" đã tạo một liên kết đăng nhập dùng một lần", " created a one-time sign-in link")
	if !e.ExpiresAt.IsZero() {
		t = cat(t, bi(", hiệu lực đến ", ", valid until "), at(e.ExpiresAt))
	}
	return t.end()
}

func signInLinkRedeemed(_ domain.SignInLinkRedeemed, n narrator) Text {
	return n.says(" đã đăng nhập bằng liên kết dùng một lần", " signed in with a one-time sign-in link").end()
}

// focalPointsSet names the organisation, never the people: focal points are personal data.
func focalPointsSet(e domain.FocalPointsSet, n narrator) Text {
	return cat(n.says(" đã cập nhật thông tin đầu mối liên hệ của ", " updated the focal points of "), n.org(e.Org)).end()
}

// roleNames translates roles.
var roleNames = map[domain.Role]Text{
	domain.RoleCoordinator: bi("điều phối viên", "coordinator"),
	domain.RoleResponder:   bi("cán bộ ứng cứu", "responder"),
	domain.RoleReviewer:    bi("cán bộ rà soát", "reviewer"),
	domain.RolePartner:     bi("đối tác", "partner"),
	domain.RoleAdmin:       bi("quản trị viên", "administrator"),
	domain.RoleIngest:      bi("tài khoản tiếp nhận dữ liệu tự động", "ingest account"),
}
