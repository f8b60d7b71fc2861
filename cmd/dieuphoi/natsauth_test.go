package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/eventstore"
	"github.com/dieuphoi/dieuphoi/ingest"
)

// violations collects the permission errors the server sends a connection.
func violations() (chan error, nats.Option) {
	ch := make(chan error, 16)
	return ch, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			ch <- err
		}
	})
}

// refused waits for the server to refuse what a connection just did, naming the subject.
func refused(t *testing.T, ch chan error, subject string) {
	t.Helper()
	select {
	case err := <-ch:
		if !strings.Contains(err.Error(), subject) {
			t.Fatalf("refused %v, not %s", err, subject)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s was not refused", subject)
	}
}

// TestEmbeddedNATSIsAuthenticated: the embedded server accepts only its users; a SOC may only
// send its own alerts and read its replies; the operator reads; nobody but the admin deletes.
func TestEmbeddedNATSIsAuthenticated(t *testing.T) {
	is := is.New(t)
	data := t.TempDir()
	srv := MustServe(t, data, nil)
	defer func() { is.NoErr(srv.stop()) }()
	ctx := context.Background()

	t.Run("no credentials", func(t *testing.T) {
		is := is.New(t)
		_, err := nats.Connect("nats://"+srv.nats, nats.NoReconnect())
		is.True(errors.Is(err, nats.ErrAuthorization)) // refused
		nc, err := nats.Connect("nats://"+srv.nats, nats.NoReconnect(), nats.UserInfo("dieuphoi", "dieuphoi"))
		is.True(err != nil) // a guessed password too
		if nc != nil {
			nc.Close()
		}
	})

	t.Run("service", func(t *testing.T) {
		is := is.New(t)
		errs, onErr := violations()
		nc := connectAs(t, srv.nats, data, natsService, onErr)
		defer nc.Close()
		js, err := jetstream.New(nc)
		is.NoErr(err)
		s, err := js.Stream(ctx, eventstore.DefaultStream)
		is.NoErr(err) // reads the log
		// The server refuses each request (the error handler says so); the request itself only
		// waits for an answer that never comes, so it need not wait long.
		short := func() context.Context {
			c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			t.Cleanup(cancel)
			return c
		}
		is.True(js.DeleteStream(short(), eventstore.DefaultStream) != nil)
		refused(t, errs, "$JS.API.STREAM.DELETE."+eventstore.DefaultStream)
		is.True(js.DeleteStream(short(), "DIEUPHOI_ALERTS") != nil)
		refused(t, errs, "$JS.API.STREAM.DELETE.DIEUPHOI_ALERTS")
		is.True(s.Purge(short()) != nil)
		refused(t, errs, "$JS.API.STREAM.PURGE."+eventstore.DefaultStream)
		is.True(s.DeleteMsg(short(), 1) != nil)
		refused(t, errs, "$JS.API.STREAM.MSG.DELETE."+eventstore.DefaultStream)
		_, err = s.Info(ctx)
		is.NoErr(err) // still there
	})

	t.Run("operator reads only", func(t *testing.T) {
		is := is.New(t)
		errs, onErr := violations()
		nc := connectAs(t, srv.nats, data, natsOperator, onErr)
		defer nc.Close()
		js, err := jetstream.New(nc)
		is.NoErr(err)
		s, err := js.Stream(ctx, eventstore.DefaultStream)
		is.NoErr(err) // stream information
		_, err = s.GetMsg(ctx, 1)
		is.NoErr(err) // and its messages
		c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		is.True(js.DeleteStream(c, eventstore.DefaultStream) != nil)
		refused(t, errs, "$JS.API.STREAM.DELETE."+eventstore.DefaultStream) // no deletion
		is.NoErr(nc.Publish("dieuphoi.events.incident.forged", []byte("{}")))
		refused(t, errs, "dieuphoi.events.incident.forged") // no writing to the log
	})

	t.Run("SOC", func(t *testing.T) {
		is := is.New(t)
		tok := mustToken(t, srv, data, "soc-dic", "wazuh", "ingest")
		errs, onErr := violations()
		nc := connectAs(t, srv.nats, data, "soc/soc-dic.nk", onErr, nats.CustomInboxPrefix(SOCInbox("soc-dic")))
		defer nc.Close()
		// Its own alerts, answered on its own inbox.
		m := nats.NewMsg(ingest.SubjectPrefix + ".soc-dic")
		m.Header.Set("Authorization", "Bearer "+tok)
		m.Data = []byte(`[{"sourceRef":"nats-1","title":"Dò quét cổng","severity":"MEDIUM","observedAt":"` +
			time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `","asset":"srv-1.example.gov.vn","tlp":"AMBER"}]`)
		reply, err := nc.RequestMsg(m, time.Minute)
		is.NoErr(err)
		var r ingest.Response
		is.NoErr(json.Unmarshal(reply.Data, &r))
		is.Equal(len(r.Results), 1)
		is.Equal(r.Results[0].Status, domain.IngestAccepted) // received
		// Nothing else: not the log, not the other sources, not anybody's replies.
		for _, subject := range []string{"dieuphoi.events.>", ingest.SubjectPrefix + ".>", "_INBOX.>", SOCInbox("police") + ".>"} {
			_, err := nc.SubscribeSync(subject)
			is.NoErr(err)
			refused(t, errs, subject)
		}
		for _, subject := range []string{"$JS.API.STREAM.INFO." + eventstore.DefaultStream, "$JS.API.STREAM.DELETE." + eventstore.DefaultStream, ingest.SubjectPrefix + ".ids-police"} {
			is.NoErr(nc.Publish(subject, nil))
			refused(t, errs, subject)
		}
	})

	t.Run("nats-user", func(t *testing.T) {
		is := is.New(t)
		var out, seed bytes.Buffer
		is.NoErr(run(ctx, []string{"dieuphoi", "nats-user", "--data", data, "--org", "soc-dic"}, func(string) string { return "" }, &out, io.Discard))
		is.True(strings.Contains(out.String(), "dieuphoi.ingest.soc-dic dieuphoi.ingest.ids-dic")) // its subjects
		is.True(strings.Contains(out.String(), "--inbox-prefix _INBOX_soc-dic"))                   // how to use them
		is.NoErr(run(ctx, []string{"dieuphoi", "nats-user", "--data", data, "--org", "soc-dic", "--seed"}, func(string) string { return "" }, &seed, io.Discard))
		is.True(strings.HasPrefix(seed.String(), "SU")) // the seed alone
		err := run(ctx, []string{"dieuphoi", "nats-user", "--data", data, "--org", "police"}, func(string) string { return "" }, io.Discard, io.Discard)
		is.True(err != nil && strings.Contains(err.Error(), "no alert source")) // only SOCs
	})

	t.Run("admin deletes", func(t *testing.T) {
		is := is.New(t)
		nc := connectAs(t, srv.nats, data, natsAdmin)
		defer nc.Close()
		js, err := jetstream.New(nc)
		is.NoErr(err)
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "SCRATCH", Subjects: []string{"scratch.>"}, Storage: jetstream.MemoryStorage})
		is.NoErr(err)
		is.NoErr(js.DeleteStream(ctx, "SCRATCH")) // the operator's decision, with the admin key
	})
}
