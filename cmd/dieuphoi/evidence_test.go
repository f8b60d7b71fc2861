package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/app"
)

// httpDo sends a request with a bearer token ("" for none) and returns status, headers and body.
func httpDo(tb testing.TB, method, u, token string, body []byte, header map[string]string) (int, http.Header, []byte) {
	tb.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func errCode(tb testing.TB, b []byte) string {
	tb.Helper()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		tb.Fatalf("not a coded error: %s", b)
	}
	return e.Error.Code
}

// TestEvidenceThroughTheBinary: the served binary takes an upload over HTTP with a bearer token
// into the evidence object store of its embedded NATS (as the service user, who may not purge
// it), serves it back to a reader, refuses bad uploads with coded errors and stores nothing, and
// `dieuphoi verify` flags a file an attacker rewrote behind its back.
func TestEvidenceThroughTheBinary(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	lan := mustToken(t, srv, data, "dic", "lan", "coordinator")
	police := mustToken(t, srv, data, "police", "tuan", "coordinator")
	army := mustToken(t, srv, data, "military", "an", "coordinator")
	_, r := gql(t, srv, lan, `mutation($in: OpenIncidentInput!) { openIncident(input: $in) { incident { id } } }`, map[string]any{"in": map[string]any{
		"title": "Mã độc trên máy chủ thư", "type": "MALWARE", "severity": "HIGH", "tlp": "AMBER", "detectedAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}})
	var opened struct {
		Incident struct{ ID string } `json:"incident"`
	}
	is.NoErr(json.Unmarshal(r.Data["openIncident"], &opened))
	id := opened.Incident.ID
	gql(t, srv, lan, `mutation($in: ShareIncidentInput!) { shareIncident(input: $in) { sequence } }`, map[string]any{"in": map[string]any{"incidentId": id, "orgs": []string{"police"}}})

	file := []byte("Nov 21 14:02:11 mail postfix/smtpd[811]: NOQUEUE: reject: RCPT from unknown[203.0.113.7]\n")
	sum := sha256.Sum256(file)
	base := "http://" + srv.http
	up := base + "/api/v1/incidents/" + id + "/evidence?" + url.Values{"name": {"maillog.txt"}, "system": {"Máy chủ thư mail.tinh.gov.vn"},
		"collectedAt": {time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)}, "commandId": {"up-1"}}.Encode()
	digest := map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"}

	// Refusals first: nothing may be stored by them.
	status, _, b := httpDo(t, http.MethodPost, up, "", file, nil)
	is.Equal(status, http.StatusUnauthorized) // no token
	is.Equal(errCode(t, b), "UNAUTHENTICATED")
	status, _, b = httpDo(t, http.MethodPost, up, lan, file, map[string]string{"Content-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + ":"})
	is.Equal(status, http.StatusBadRequest) // damaged on the way
	is.Equal(errCode(t, b), "INVALID")
	status, _, b = httpDo(t, http.MethodPost, base+"/api/v1/incidents/"+id+"/evidence?system=x", lan, file, nil)
	is.Equal(status, http.StatusBadRequest) // no file name
	status, _, b = httpDo(t, http.MethodPost, strings.Replace(up, id, "no-such-incident", 1), lan, file, nil)
	is.Equal(status, http.StatusNotFound) // an incident that does not exist
	is.Equal(errCode(t, b), "NOT_FOUND")
	status, _, _ = httpDo(t, http.MethodPost, up, army, file, nil)
	is.Equal(status, http.StatusNotFound) // nor one the uploader may not read: the same answer
	big := bytes.Repeat([]byte{'x'}, 32<<20+1)
	status, _, b = httpDo(t, http.MethodPost, up, lan, big, nil)
	is.Equal(status, http.StatusRequestEntityTooLarge) // over the per-file limit
	is.Equal(errCode(t, b), "TOO_LARGE")

	nc := connectAs(t, srv.nats, data, natsService)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	obs, err := js.ObjectStore(context.Background(), app.EvidenceBucket)
	is.NoErr(err) // the service created the bucket
	_, err = obs.List(context.Background())
	is.Equal(err, jetstream.ErrNoObjectsFound) // and the refusals stored nothing

	status, hdr, b := httpDo(t, http.MethodPost, up, lan, file, digest)
	is.Equal(status, http.StatusCreated) // stored and recorded
	var created struct {
		Evidence struct {
			ID, SHA256, Custodian, DownloadPath, MediaType string
			Size                                           int64
		}
		Sequence uint64
	}
	is.NoErr(json.Unmarshal(b, &created))
	is.Equal(created.Evidence.SHA256, hex.EncodeToString(sum[:])) // the hash of what arrived
	is.Equal(created.Evidence.Size, int64(len(file)))
	is.Equal(created.Evidence.MediaType, "text/plain")
	is.Equal(created.Evidence.Custodian, "dic/lan")
	is.Equal(hdr.Get("Location"), created.Evidence.DownloadPath)

	status, hdr, got := httpDo(t, http.MethodGet, base+created.Evidence.DownloadPath, police, nil, nil)
	is.Equal(status, http.StatusOK) // a reader downloads it
	is.True(bytes.Equal(got, file)) // byte for byte
	is.Equal(hdr.Get("Content-Digest"), digest["Content-Digest"])
	is.True(strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment")) // never rendered in the service's origin
	is.Equal(hdr.Get("X-Content-Type-Options"), "nosniff")
	status, _, b = httpDo(t, http.MethodGet, base+created.Evidence.DownloadPath, army, nil, nil)
	is.Equal(status, http.StatusNotFound) // not for who may not read the incident
	is.Equal(errCode(t, b), "NOT_FOUND")

	_, r = gql(t, srv, lan, `query($id: ID!) { evidence(incidentId: $id) { id sha256 downloads { by { user org } } } }`, map[string]any{"id": id})
	var list []struct {
		ID        string
		Downloads []struct {
			By struct{ User, Org string }
		}
	}
	is.NoErr(json.Unmarshal(r.Data["evidence"], &list))
	is.Equal(len(list), 1)
	is.Equal(len(list[0].Downloads), 1)            // the download is on the record
	is.Equal(list[0].Downloads[0].By.User, "tuan") // by whom

	st, err := js.Stream(context.Background(), "OBJ_"+app.EvidenceBucket)
	is.NoErr(err)
	is.True(st.Purge(context.Background()) != nil) // the service's NATS user cannot purge the evidence
	_, err = obs.GetBytes(context.Background(), created.Evidence.ID)
	is.NoErr(err) // it is all there

	// An attacker with the admin key rewrites the file; the service is stopped; verify flags it.
	admin := connectAs(t, srv.nats, data, natsAdmin)
	defer admin.Close()
	ajs, _ := jetstream.New(admin)
	aobs, err := ajs.ObjectStore(context.Background(), app.EvidenceBucket)
	is.NoErr(err)
	_, err = aobs.PutBytes(context.Background(), created.Evidence.ID, []byte("nothing to see here\n"))
	is.NoErr(err)
	status, _, b = httpDo(t, http.MethodGet, base+created.Evidence.DownloadPath, police, nil, nil)
	is.Equal(status, http.StatusInternalServerError) // never served once it does not match
	is.Equal(errCode(t, b), "INTERNAL")
	admin.Close()
	nc.Close()
	is.NoErr(srv.stop())
	stopped = true
	var out bytes.Buffer
	err = run(context.Background(), []string{"dieuphoi", "verify", "--data", data}, func(string) string { return "" }, &out, io.Discard)
	is.True(err != nil)                                                              // verify fails
	is.True(strings.Contains(out.String(), "BROKEN: evidence "+created.Evidence.ID)) // naming the file
	is.True(strings.Contains(out.String(), "the log recorded "+created.Evidence.SHA256))
}
