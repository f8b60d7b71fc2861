package timeline

import (
	"strconv"

	"github.com/dieuphoi/dieuphoi/domain"
)

// reviewSentences are the sentences of the subcommittee's reviews: opened, signed off or objected
// to, findings, completed.
var reviewSentences = []entry{
	on(reviewOpened),
	on(reviewSignedOff),
	on(reviewObjected),
	on(reviewFindingRecorded),
	on(reviewCompleted),
}

// pinText names the signed checkpoint a review is pinned to.
func pinText(size int64, root string) Text {
	s := strconv.FormatInt(size, 10)
	r := clip(root, 13) // 12 characters and "…"
	return bi(" (lịch sử đến điểm kiểm tra đã ký "+s+" bản ghi, gốc "+r+")", " (the history up to the signed checkpoint of "+s+" commits, root "+r+")")
}

func reviewOpened(e domain.ReviewOpened, n narrator) Text {
	t := cat(n.says(" đã mở rà soát ", " opened the review "), same(quote(e.Title, titleExcerpt)))
	if e.IncidentID != "" {
		t = cat(t, bi(" đối với sự cố ", " of incident "), same(clip(e.IncidentID, shortExcerpt)))
	} else {
		t = cat(t, bi(" đối với các sự cố từ ", " of the incidents from "), at(e.PeriodFrom), bi(" đến ", " to "), at(e.PeriodTo))
	}
	return cat(t, pinText(e.Pin.TreeSize, e.Pin.RootHash), bi("; cần chữ ký của ", "; to be signed by "), n.orgs(e.Signers)).end()
}

func reviewSignedOff(e domain.ReviewSignedOff, n narrator) Text {
	return cat(n.says(" đã ký xác nhận rà soát", " signed the review off"), pinText(e.TreeSize, e.RootHash)).because(e.Comment)
}

func reviewObjected(e domain.ReviewObjected, n narrator) Text {
	return cat(n.says(" đã phản đối kết quả rà soát", " objected to the review"), pinText(e.TreeSize, e.RootHash)).because(e.Comment)
}

func reviewFindingRecorded(e domain.ReviewFindingRecorded, n narrator) Text {
	t := n.says(" đã ghi nhận một phát hiện", " recorded a finding")
	if e.Kind == domain.FindingKindLesson {
		t = n.says(" đã ghi nhận một bài học kinh nghiệm", " recorded a lesson learned")
	}
	t = cat(t, tlpNote(e.TLP))
	if x := quote(e.Text, noteExcerpt); x != "" {
		t = cat(t, same(": "+x))
	}
	return t.end()
}

func reviewCompleted(e domain.ReviewCompleted, n narrator) Text {
	return cat(n.says(" đã hoàn tất rà soát: đủ chữ ký của ", " completed the review: signed by every required signer, "), n.orgs(e.Signers)).end()
}
