package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestOneOwnerPerDataDirectory: a second service on a data directory in use is refused with a
// sentence naming the owner; tools reach the running owner at the address it recorded, whatever
// --nats-listen they are given, and what they write is the service's, kept across a restart.
func TestOneOwnerPerDataDirectory(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	quiet := quietConfig(t)
	srv := MustServe(t, data, nil, "--config", quiet)

	var stderr bytes.Buffer
	err := run(context.Background(), []string{"dieuphoi", "serve", "--data", data, "--http", freeAddr(t), "--nats-listen", freeAddr(t),
		"--metrics", ""}, func(string) string { return "" }, io.Discard, &stderr)
	is.True(err != nil)                                            // never two servers on one store
	is.True(strings.Contains(err.Error(), "is in use by process")) // saying by whom
	is.True(strings.Contains(err.Error(), srv.nats))               // and where it answers

	// A tool given another port still writes through the owner.
	var out bytes.Buffer
	err = run(context.Background(), []string{"dieuphoi", "token", "--data", data, "--nats-listen", freeAddr(t),
		"--org", "dic", "--user", "lan", "--role", "coordinator"}, func(string) string { return "" }, &out, io.Discard)
	is.NoErr(err) // the token tool reaches the running service
	token := strings.TrimSpace(out.String())
	code, _ := gql(t, srv, token, `{ me { user } }`, nil)
	is.Equal(code, 200) // the service knows the token: it is in its log
	out.Reset()
	is.NoErr(run(context.Background(), []string{"dieuphoi", "demo", "--data", data, "--nats-listen", freeAddr(t), "--config", quiet},
		func(string) string { return "" }, &out, io.Discard)) // so does the demo
	is.True(strings.Contains(out.String(), "recorded the demo drill"))

	is.NoErr(srv.stop())
	srv = MustServe(t, data, nil, "--config", quiet)
	code, r := gql(t, srv, token, `{ board(filter: {drill: true}) { totalCount } }`, nil)
	is.Equal(code, 200)                                                  // after a restart the token still works
	is.True(strings.Contains(string(r.Data["board"]), `"totalCount":2`)) // and the demo's incidents are there
	is.NoErr(srv.stop())
}

// TestToolRefusesAnotherDeployment: a tool pointed at the NATS of another deployment (other
// keys) refuses to write into it.
func TestToolRefusesAnotherDeployment(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	creds := filepath.Join((&Config{Data: data}).natsKeysDir(), natsService) // its NATS user: the door is open
	err := run(context.Background(), []string{"dieuphoi", "token", "--data", t.TempDir(), "--nats-url", "nats://" + srv.nats, "--nats-creds", creds,
		"--org", "dic", "--user", "lan", "--role", "coordinator"}, func(string) string { return "" }, io.Discard, io.Discard)
	is.True(err != nil)                                            // refused
	is.True(strings.Contains(err.Error(), "another deployment's")) // with the reason
	is.NoErr(srv.stop())
}

// TestDataDirectoryIsReleasedOnCrash: a service killed with SIGKILL leaves its data directory
// to the next one (the OS lock goes with the process).
func TestDataDirectoryIsReleasedOnCrash(t *testing.T) {
	if os.Getenv("DIEUPHOI_TEST_SERVE") != "" {
		return // the child: see below
	}
	is := is.New(t)
	data := t.TempDir()
	httpAddr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), "DIEUPHOI_TEST_SERVE="+data, "DIEUPHOI_TEST_HTTP="+httpAddr, "DIEUPHOI_TEST_NATS="+freeAddr(t))
	is.NoErr(cmd.Start()) // a service in another process
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the child service never became healthy")
		}
		time.Sleep(50 * time.Millisecond)
	}
	is.NoErr(cmd.Process.Signal(syscall.SIGKILL)) // a crash
	_ = cmd.Wait()
	srv := MustServe(t, data, nil) // the next service takes the directory
	is.NoErr(srv.stop())
}

// TestServeChild runs a service for TestDataDirectoryIsReleasedOnCrash in a child process.
func TestServeChild(t *testing.T) {
	data := os.Getenv("DIEUPHOI_TEST_SERVE")
	if data == "" {
		t.Skip("run by TestDataDirectoryIsReleasedOnCrash in a child process")
	}
	_ = run(context.Background(), []string{"dieuphoi", "serve", "--data", data, "--http", os.Getenv("DIEUPHOI_TEST_HTTP"),
		"--nats-listen", os.Getenv("DIEUPHOI_TEST_NATS"), "--metrics", ""}, func(string) string { return "" }, io.Discard, io.Discard)
}
