package evidence

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestContentDigest(t *testing.T) {
	is := is.New(t)
	sum := make([]byte, 32)
	sum[0], sum[31] = 0xab, 0x01
	b64 := base64.StdEncoding.EncodeToString(sum)
	h, err := contentDigest("sha-256=:" + b64 + ":")
	is.NoErr(err)
	is.Equal(h, "ab"+strings.Repeat("00", 30)+"01") // hex of the digest
	h, err = contentDigest("sha-512=:AAAA:, SHA-256=:" + b64 + ":")
	is.NoErr(err)
	is.Equal(len(h), 64) // found among others, any case
	h, err = contentDigest("")
	is.NoErr(err)
	is.Equal(h, "") // none declared
	for _, bad := range []string{"sha-256=:bm90IDMyIGJ5dGVz:", "sha-256=:%%%:", "md5=:AAAA:"} {
		_, err := contentDigest(bad)
		is.Equal(domain.ErrorCode(err), domain.EINVALID) // refused with a code
	}
}
