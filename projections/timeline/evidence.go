package timeline

import (
	"strconv"
	"strings"

	"github.com/dieuphoi/dieuphoi/domain"
)

// evidenceSentences are the sentences of evidence files and their chain of custody. A file's
// description stays out: it is the item's content, under the item's TLP.
var evidenceSentences = []entry{
	on(evidenceAdded),
	on(evidenceCustodyTransferred),
	on(evidenceDownloaded),
}

func evidenceAdded(e domain.EvidenceAdded, n narrator) Text {
	t := cat(n.says(" đã lưu chứng cứ ", " added evidence "), same(quote(e.Name, titleExcerpt)),
		same(" ("+clip(e.MediaType, shortExcerpt)+", "), bytesText(e.Size), same(", SHA-256 "+shortHash(e.SHA256)+")"),
		bi(", thu thập từ hệ thống ", ", collected from "), same(quote(e.SourceSystem, titleExcerpt)))
	if !e.CollectedAt.IsZero() {
		t = cat(t, bi(" lúc ", " at "), at(e.CollectedAt))
	}
	return cat(t, tlpNote(e.TLP)).end()
}

func evidenceCustodyTransferred(e domain.EvidenceCustodyTransferred, n narrator) Text {
	return cat(n.says(" đã chuyển quyền lưu giữ chứng cứ ", " handed custody of evidence "), same(clip(e.EvidenceID, shortExcerpt)),
		bi(" từ ", " from "), person(e.From, n), bi(" cho ", " to "), person(e.To, n)).because(e.Reason)
}

func evidenceDownloaded(e domain.EvidenceDownloaded, n narrator) Text {
	return cat(n.says(" đã tải xuống chứng cứ ", " downloaded evidence "), same(clip(e.EvidenceID, shortExcerpt)),
		bi(" (đã đối chiếu SHA-256 "+shortHash(e.SHA256)+")", " (checked against SHA-256 "+shortHash(e.SHA256)+")")).end()
}

// person names "org/user" as "user (organisation)".
func person(key string, n narrator) Text {
	org, user, _ := strings.Cut(key, "/")
	return n.name(domain.Actor{Org: org, User: user})
}

// shortHash is the first 16 hex digits of a hash, enough to tell files apart in a sentence.
func shortHash(h string) string {
	if len(h) > 16 {
		return clip(h[:16], 16) + "…"
	}
	return clip(h, 16)
}

// bytesText writes a size with its thousands separated as each language does: "1.048.576 byte",
// "1,048,576 bytes".
func bytesText(n int64) Text {
	s := strconv.FormatInt(n, 10)
	group := func(sep string) string {
		var b strings.Builder
		for i, r := range s {
			if i > 0 && (len(s)-i)%3 == 0 && r != '-' {
				b.WriteString(sep)
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	unit := " bytes"
	if n == 1 {
		unit = " byte"
	}
	return bi(group(".")+" byte", group(",")+unit)
}
