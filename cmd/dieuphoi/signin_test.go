package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/matryer/is"
)

// redeem posts a sign-in code to a replica's board and returns the status and the token.
func redeem(tb testing.TB, httpAddr, code string) (int, string, string) {
	tb.Helper()
	resp, err := http.Post("http://"+httpAddr+"/board/api/signin", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Token  string
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatal(err)
	}
	msg := ""
	if len(body.Errors) > 0 {
		msg = body.Errors[0].Message
	}
	return resp.StatusCode, body.Token, msg
}

func TestSignInLinkIsSpentOnEveryReplica(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	one := MustServe(t, data, nil)
	defer one.stop()
	// A second replica on the same log, with the deployment's shared keys.
	two := MustServe(t, t.TempDir(), nil, "--nats-url", "nats://"+one.nats,
		"--token-key", filepath.Join(data, "keys", "token.key"), "--signing-key", filepath.Join(data, "keys", "signing.key"),
		"--nats-creds", filepath.Join(data, "keys", "nats", natsService))
	defer two.stop()

	link := mustLink(t, one, data, "dic", "lan", "coordinator")
	is.True(strings.HasPrefix(link, "http://"+one.http+"/#signin=")) // the code travels in the fragment
	code := link[strings.Index(link, "#signin=")+len("#signin="):]

	// Both replicas get the code at once: exactly one hands out the token.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var tokens, refusals []string
	for _, addr := range []string{one.http, two.http} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, tok, msg := redeem(t, addr, code)
			mu.Lock()
			defer mu.Unlock()
			if status == http.StatusOK {
				tokens = append(tokens, tok)
			} else {
				refusals = append(refusals, msg)
			}
		}()
	}
	wg.Wait()
	is.Equal(len(tokens), 1)                               // one redemption
	is.Equal(len(refusals), 1)                             // the other refused
	is.True(strings.Contains(refusals[0], "already used")) // saying why
	code2, r := gql(t, two, tokens[0], `{ me { user org { slug } } }`, nil)
	is.Equal(code2, http.StatusOK)                                  // the token works
	is.True(strings.Contains(string(r.Data["me"]), `"user":"lan"`)) // for its holder

	// Later, on either replica, the code is spent; a forged one never worked.
	for _, addr := range []string{one.http, two.http} {
		status, _, msg := redeem(t, addr, code)
		is.Equal(status, http.StatusUnauthorized)      // spent
		is.True(strings.Contains(msg, "already used")) // said so
		status, _, msg = redeem(t, addr, code[:len(code)-4]+"AAAA")
		is.Equal(status, http.StatusUnauthorized)   // a guess
		is.True(strings.Contains(msg, "not valid")) // learns nothing
	}
	for _, srv := range []*running{one, two} {
		is.True(!strings.Contains(srv.stderr.String(), code))      // the code is in no log
		is.True(!strings.Contains(srv.stderr.String(), tokens[0])) // nor the token
	}
}
