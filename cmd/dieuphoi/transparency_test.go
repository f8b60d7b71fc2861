package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fetch GETs a URL with an optional bearer token.
func fetch(tb testing.TB, url, token string) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// partnerCheckpoint is what a partner does with the published checkpoint, using the note
// package alone: check the signature with the published key and read size and root.
func partnerCheckpoint(tb testing.TB, key, text string) (int64, tlog.Hash) {
	tb.Helper()
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		tb.Fatalf("verifier key %q: %v", key, err)
	}
	n, err := note.Open([]byte(text), note.VerifierList(v))
	if err != nil {
		tb.Fatalf("checkpoint does not verify: %v\n%s", err, text)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		tb.Fatal(err)
	}
	return size, root
}

func parseHashes(tb testing.TB, body string) []tlog.Hash {
	tb.Helper()
	var out []tlog.Hash
	for _, l := range strings.Fields(body) {
		h, err := tlog.ParseHash(l)
		if err != nil {
			tb.Fatalf("proof line %q: %v", l, err)
		}
		out = append(out, h)
	}
	return out
}

// TestTransparencyAsAPartner: a partner fetches the signed checkpoint, verifies it with the note
// package alone, gets an inclusion proof for a commit it received and checks it with tlog
// alone, and a consistency proof between two checkpoints. What it did not receive is not found;
// without a token nothing but the public key is served.
func TestTransparencyAsAPartner(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil, "--config", quietConfig(t), "--origin", "cert.test.gov.vn/dieuphoi")
	base := "http://" + srv.http + "/.well-known/dieuphoi/"
	dic := mustToken(t, srv, data, "dic", "lan", "coordinator")
	partner := mustToken(t, srv, data, "vncert", "giang", "partner")

	code, key := fetch(t, base+"checkpoint-key", "")
	is.Equal(code, 200)                                                  // the key is public
	is.True(strings.HasPrefix(key, "cert.test.gov.vn/dieuphoi/events+")) // named after the deployment's log
	code, _ = fetch(t, base+"checkpoint", "")
	is.Equal(code, 401) // the checkpoint tells how much is written: only for a token

	checkpoint := func(min int64) (int64, tlog.Hash, string) {
		for deadline := time.Now().Add(15 * time.Second); ; {
			code, text := fetch(t, base+"checkpoint", partner)
			if code == 200 {
				if size, root := partnerCheckpoint(t, key, text); size >= min {
					return size, root, text
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoint of at least %d commits: %d %s", min, code, text)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	oldSize, oldRoot, _ := checkpoint(1)

	green := mustOpen(t, srv, dic, map[string]any{"title": "Lừa đảo qua thư", "type": "PHISHING", "severity": "MEDIUM", "tlp": "GREEN"})
	amber := mustOpen(t, srv, dic, map[string]any{"title": "Mã độc nội bộ", "type": "MALWARE", "severity": "HIGH", "tlp": "AMBER"})
	seqOf := func(id string) int64 {
		_, r := gql(t, srv, dic, `query($id: ID!) { incident(id: $id) { sequence } }`, map[string]any{"id": id})
		var d struct{ Sequence int64 }
		is.NoErr(json.Unmarshal(r.Data["incident"], &d))
		return d.Sequence
	}
	greenSeq, amberSeq := seqOf(green), seqOf(amber)
	size, root, _ := checkpoint(max(greenSeq, amberSeq))

	// Inclusion of a commit the partner received (GREEN: the community), checked with tlog.
	code, body := fetch(t, base+"proof/inclusion?index="+strconv.FormatInt(greenSeq-1, 10)+"&size="+strconv.FormatInt(size, 10), partner)
	is.Equal(code, 200)
	_, r := gql(t, srv, partner, `query($s: Sequence!) { inclusionProof(sequence: $s) { leafHash commit treeSize } }`, map[string]any{"s": greenSeq})
	var in struct {
		LeafHash string
		Commit   *string
		TreeSize int64
	}
	is.NoErr(json.Unmarshal(r.Data["inclusionProof"], &in))
	leaf, err := tlog.ParseHash(in.LeafHash)
	is.NoErr(err)
	is.True(in.Commit != nil)                                                      // it may see the whole commit
	is.NoErr(tlog.CheckRecord(parseHashes(t, body), size, root, greenSeq-1, leaf)) // the commit is in the signed log

	// The AMBER incident was not shared with the partner: no proof, as if it did not exist.
	code, _ = fetch(t, base+"proof/inclusion?index="+strconv.FormatInt(amberSeq-1, 10), partner)
	is.Equal(code, 404)
	code, _ = fetch(t, base+"proof/inclusion?index="+strconv.FormatInt(amberSeq-1, 10), dic)
	is.Equal(code, 200) // its own organisation gets it

	// The log of the later checkpoint extends the earlier one.
	code, body = fetch(t, base+"proof/consistency?old="+strconv.FormatInt(oldSize, 10)+"&new="+strconv.FormatInt(size, 10), partner)
	is.Equal(code, 200)
	is.NoErr(tlog.CheckTree(parseHashes(t, body), size, root, oldSize, oldRoot)) // consistent

	code, body = fetch(t, base+"proof/consistency?old=0", partner)
	is.Equal(code, 400) // a bad request says what is wrong
	is.True(strings.Contains(body, "INVALID"))
	is.NoErr(srv.stop())
}
