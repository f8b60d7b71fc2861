package eventstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A partner holding only the verifier key checks a published checkpoint with note alone, then
// inclusion and consistency proofs with tlog alone, against leaves it hashes itself.
func TestPartnerVerifiesWithNoteAndTlogAlone(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage, func(c *Config) { c.Origin = "cert.example.vn/dieuphoi/events" })
	ctx := context.Background()
	seedChain(t, env, "p", 4)
	first := mustCheckpoint(t, env.store) // 8 messages
	seedChain(t, env, "q", 5)
	latest := mustCheckpoint(t, env.store) // 18 messages
	cp, err := env.store.LatestCheckpoint(ctx)
	is.NoErr(err)        // the latest checkpoint, as /.well-known/dieuphoi/checkpoint serves it
	is.Equal(cp, latest) // is the one published last

	vkey, err := env.store.VerifierKey()
	is.NoErr(err)                                                        // /.well-known/dieuphoi/checkpoint-key
	is.True(strings.HasPrefix(vkey, "cert.example.vn/dieuphoi/events+")) // name+hash+base64
	v, err := note.NewVerifier(vkey)
	is.NoErr(err) // the partner reads the key
	n, err := note.Open([]byte(cp.Text), note.VerifierList(v))
	is.NoErr(err) // the signature verifies with note alone
	lines := strings.Split(n.Text, "\n")
	is.Equal(len(lines), 4)                               // origin, size, root, and the final newline
	is.Equal(lines[0], "cert.example.vn/dieuphoi/events") // origin line
	size, err := strconv.ParseInt(lines[1], 10, 64)
	is.NoErr(err)             // size in decimal
	is.Equal(size, int64(18)) // every message
	root, err := tlog.ParseHash(lines[2])
	is.NoErr(err) // root in base64

	// Inclusion of every message: the partner hashes the body it received.
	var bodies [][]byte
	is.NoErr(env.store.Read(ctx, ReadOptions{}, func(c *Commit) error { bodies = append(bodies, c.Body()); return nil })) // read the log
	for i, body := range bodies {
		p, err := env.store.Tree().InclusionProof(int64(i), size)
		is.NoErr(err)                                                                                        // proof served
		is.NoErr(tlog.CheckRecord(parseProof(t, ProofText(p)), size, root, int64(i), tlog.RecordHash(body))) // verified with tlog alone
		is.True(tlog.CheckRecord(p, size, root, int64(i), tlog.RecordHash(append(body, ' '))) != nil)        // not for another body
	}
	// Consistency of the earlier checkpoint with the latest.
	p, err := env.store.Tree().ConsistencyProof(first.Size, size)
	is.NoErr(err)                                                                             // proof served
	is.NoErr(tlog.CheckTree(parseProof(t, ProofText(p)), size, root, first.Size, first.Root)) // the log only grew
	is.True(tlog.CheckTree(p, size, root, first.Size, latest.Root) != nil)                    // a wrong old root fails
}

// parseProof reads hashes served one base64 a line, as a partner would.
func parseProof(t *testing.T, text string) []tlog.Hash {
	t.Helper()
	var out []tlog.Hash
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// Two replicas, each with its follower and checkpointer, race while writers append through
// both: exactly one checkpoint per tree size, sizes strictly increasing, every one verified.
func TestReplicasPublishOneCheckpointPerSize(t *testing.T) {
	for _, sc := range storages {
		t.Run(sc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, sc.st, func(c *Config) { c.CheckpointInterval = time.Millisecond })
			replicas := []*Store{env.store, env.MustReplica(t)}
			for _, r := range replicas {
				MustFollow(t, r)
				MustCheckpoints(t, r)
			}
			var wg sync.WaitGroup
			var last uint64
			var mu sync.Mutex
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					repo := NewRepo(replicas[w%2], newCounter)
					for i := range 60 {
						res, err := repo.Update(context.Background(), uniq("race", w), meta(uniq(fmt.Sprint(w), i)), func(c *counter) error { return c.Add(1) })
						if err != nil {
							t.Errorf("writer %d: %v", w, err)
							return
						}
						mu.Lock()
						last = max(last, res.Sequence)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			mustWaitCheckpoint(t, env.store, int64(last))

			var sizes []int64
			is.NoErr(env.store.readCheckpoints(context.Background(), func(_ uint64, text []byte) {
				cp, err := env.store.openCheckpoint(text)
				is.NoErr(err) // every checkpoint verifies
				sizes = append(sizes, cp.Size)
			})) // read every checkpoint
			t.Logf("%d checkpoints for %d messages", len(sizes), last)
			is.True(len(sizes) > 1) // several, from both replicas
			for i := 1; i < len(sizes); i++ {
				is.True(sizes[i] > sizes[i-1]) // strictly increasing: one per size
			}
			is.True(env.store.Stats().Checkpoints+replicas[1].Stats().Checkpoints == uint64(len(sizes))) // each published by one replica
			rep, err := env.store.VerifyAll(context.Background())
			is.NoErr(err)     // verify runs
			is.True(rep.OK()) // all of them match the log
		})
	}
}

// publishCheckpointText stores checkpoint text as an attacker would, past the stream's guard.
func publishCheckpointText(t *testing.T, env *testEnv, text string) {
	t.Helper()
	if _, err := env.js.Publish(context.Background(), env.store.checkpointSubject(), []byte(text)); err != nil {
		t.Fatal(err)
	}
}

func TestForgedCheckpointIsDetected(t *testing.T) {
	other, _ := NewSigner(mustKey(t)).noteSigner("dieuphoi/DIEUPHOI_EVENTS")
	cases := []struct {
		name  string
		forge func(env *testEnv, cp Checkpoint) string
		want  string
	}{
		{"root altered", func(_ *testEnv, cp Checkpoint) string {
			return strings.Replace(cp.Text, cp.Root.String(), tlog.RecordHash([]byte("x")).String(), 1)
		}, "does not verify"},
		{"signature forged", func(env *testEnv, cp Checkpoint) string {
			body := checkpointBody(cp.Origin, cp.Size+1, cp.Root)
			sig := cp.Text[strings.LastIndex(cp.Text, " ")+1:] // the genuine key hash and signature, on other text
			return body + "\n— " + cp.Origin + " " + sig
		}, "does not verify"},
		{"wrong key", func(_ *testEnv, cp Checkpoint) string {
			text, _ := note.Sign(&note.Note{Text: checkpointBody(cp.Origin, cp.Size, cp.Root)}, other)
			return string(text)
		}, "not signed by a key trusted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			env := MustStore(t, jetstream.FileStorage)
			ctx := context.Background()
			seedChain(t, env, "c", 3)
			cp := mustCheckpoint(t, env.store)
			publishCheckpointText(t, env, tc.forge(env, cp))
			rep, err := env.store.VerifyAll(ctx)
			is.NoErr(err) // verify runs
			p, ok := problemWith(rep, "checkpoint", tc.want)
			is.True(ok)                                                         // detected, saying how
			is.True(strings.Contains(p.Reason, env.store.cfg.CheckpointStream)) // naming where
			_, err = env.store.LatestCheckpoint(ctx)
			is.True(errors.Is(err, ErrIntegrity)) // the endpoint will not serve it
			MustFollow(t, env.store)
			err = env.store.RunCheckpoints(ctx, nil)
			is.True(errors.Is(err, ErrIntegrity))           // the checkpointer stops
			is.True(strings.Contains(err.Error(), tc.want)) // with the reason
		})
	}
}

// A checkpoint properly signed with the deployment's key but of another history (another log
// sharing the key and the checkpoint subject): the checkpointer refuses to sign on top of it.
func TestCheckpointerRefusesForeignHistory(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage)
	ctx := context.Background()
	seedChain(t, env, "mine", 3)
	signer, err := env.store.cfg.Signer.noteSigner(env.store.cfg.Origin)
	is.NoErr(err) // the deployment's key
	text, err := note.Sign(&note.Note{Text: checkpointBody(env.store.cfg.Origin, 4, tlog.RecordHash([]byte("theirs")))}, signer)
	is.NoErr(err) // signed, but not of this log
	publishCheckpointText(t, env, string(text))
	MustFollow(t, env.store)
	err = env.store.RunCheckpoints(ctx, nil)
	is.True(errors.Is(err, ErrIntegrity))                            // refused
	is.True(strings.Contains(err.Error(), "someone else's history")) // said so
	_, err = os.Stat(env.store.WitnessFile())
	is.True(errors.Is(err, os.ErrNotExist)) // and not witnessed
}

// Checkpoints signed before a key rotation verify with the old public key in the trusted *.pub
// files; without it they do not.
func TestKeyRotation(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	env := MustStore(t, jetstream.FileStorage, func(c *Config) {
		s, err := LoadOrCreateSigner(filepath.Join(dir, "old.key"), "")
		if err != nil {
			t.Fatal(err)
		}
		c.Signer = s
	})
	ctx := context.Background()
	seedChain(t, env, "rot", 2)
	mustCheckpoint(t, env.store)

	rotated := func(trust bool) *Store {
		trustDir := filepath.Join(dir, "trusted")
		if trust {
			pub := env.store.cfg.Signer.PublicKey()
			is.NoErr(os.MkdirAll(trustDir, 0o700))                                                              // trusted keys directory
			is.NoErr(os.WriteFile(filepath.Join(trustDir, "old.pub"), []byte(fmt.Sprintf("%x\n", pub)), 0o600)) // the old key, hex
		}
		s, err := LoadOrCreateSigner(filepath.Join(dir, "new.key"), trustDir)
		is.NoErr(err) // a new key
		cfg := env.store.cfg
		cfg.Signer = s
		st, err := Open(ctx, env.nc, cfg)
		is.NoErr(err) // the service restarts with it
		return st
	}
	rep, err := rotated(false).VerifyAll(ctx)
	is.NoErr(err) // verify runs
	_, ok := problemWith(rep, "not signed by a key trusted")
	is.True(ok) // the old checkpoints are not trusted by the new key alone
	st := rotated(true)
	rep, err = st.VerifyAll(ctx)
	is.NoErr(err)     // verify runs
	is.True(rep.OK()) // with the old key trusted they verify
	seedChain(t, &testEnv{store: st, nc: env.nc, js: env.js}, "after", 2)
	cp := mustCheckpoint(t, st)
	_, err = note.Open([]byte(cp.Text), mustVerifiers(t, st))
	is.NoErr(err) // new checkpoints are signed with the new key
}

func mustKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func mustVerifiers(t *testing.T, st *Store) note.Verifiers {
	t.Helper()
	vkey, err := st.VerifierKey()
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return note.VerifierList(v)
}

// The note signer is built from the seed in note's own key format, and its signatures are plain
// RFC 8032 Ed25519 (deterministic) over the note text.
func TestNoteSignerIsStandardEd25519(t *testing.T) {
	is := is.New(t)
	priv := mustKey(t)
	s, err := NewSigner(priv).noteSigner("dieuphoi/X")
	is.NoErr(err) // built
	text, err := note.Sign(&note.Note{Text: "dieuphoi/X\n1\n" + tlog.RecordHash(nil).String() + "\n"}, s)
	is.NoErr(err) // signed
	again, _ := note.Sign(&note.Note{Text: "dieuphoi/X\n1\n" + tlog.RecordHash(nil).String() + "\n"}, s)
	is.Equal(string(text), string(again)) // deterministic
	body, sigLine, _ := strings.Cut(string(text), "\n\n")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sigLine[strings.LastIndex(sigLine, " ")+1:]))
	is.NoErr(err)                                                                          // signature line is base64
	is.True(ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte(body+"\n"), raw[4:])) // crypto/ed25519 verifies it
	_, err = NewSigner(priv).VerifierKey("has space")
	is.True(err != nil) // an origin note cannot name is refused
}

func TestWitnessFileIsTheLatestVerifiedCheckpoint(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.FileStorage)
	seedChain(t, env, "w", 2)
	mustCheckpoint(t, env.store)
	seedChain(t, env, "v", 2)
	cp := mustCheckpoint(t, env.store)
	data, err := os.ReadFile(env.store.WitnessFile())
	is.NoErr(err)                   // written
	is.Equal(string(data), cp.Text) // the latest checkpoint, as signed
	entries, err := os.ReadDir(env.store.cfg.WitnessDir)
	is.NoErr(err)             // list the directory
	is.Equal(len(entries), 1) // no temporary file left behind

	// A replica that has not witnessed anything yet learns it from the checkpoint stream.
	replica := env.MustReplica(t)
	MustFollow(t, replica)
	MustCheckpoints(t, replica)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, _ := os.ReadFile(replica.WitnessFile())
		if string(got) == cp.Text {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica did not witness the latest checkpoint")
		}
		time.Sleep(5 * time.Millisecond) // polling a file, with a deadline
	}
}
