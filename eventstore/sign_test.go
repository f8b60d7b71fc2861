package eventstore

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dieuphoi/dieuphoi/domain"
)

func TestMerkleProofs(t *testing.T) {
	is := is.New(t)
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 100, maxSignBatch} {
		leaves := make([][32]byte, n)
		for i := range leaves {
			d := sha256.Sum256([]byte(fmt.Sprint(i)))
			leaves[i] = leafHash(&d)
		}
		levels := merkleLevels(leaves)
		root := levels[len(levels)-1][0]
		for i := range leaves {
			proof := appendProof(nil, levels, i)
			got, err := proofRoot(leaves[i], proof)
			is.NoErr(err)       // a proof the tree made is well-formed
			is.Equal(got, root) // and leads to the root
			if n == 1 {
				continue
			}
			other := (i + 1) % n
			got, err = proofRoot(leaves[other], proof)
			is.True(err != nil || got != root) // another leaf with this proof misses the root
			bad := bytes.Clone(proof)
			bad[len(bad)-1] ^= 1
			got, err = proofRoot(leaves[i], bad)
			is.True(err != nil || got != root) // an altered sibling misses the root
			_, err = proofRoot(leaves[i], proof[:len(proof)-32])
			is.True(err != nil) // a truncated path is refused
			_, err = proofRoot(leaves[i], append(bytes.Clone(proof), 0))
			is.True(err != nil) // so are extra bytes
		}
	}
	// An inner node is not a leaf: the two are hashed with different prefixes.
	a, b := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	is.True(nodeHash(&a, &b) != leafHash(&a))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	is := is.New(t)
	odd := "quote\" back\\ nl\n tab\t ctl\x01\x1f html<>& bad\xff utf8 é 中 \u2028\u2029 \b\f\r"
	for _, b := range []commitBody{
		{Format: 1, ID: "id", AggregateType: "counter", AggregateID: "c1", Version: 1, OccurredAt: time.Now().UTC(),
			Events: []storedEvent{{ID: "e", Type: "TestAdded", Schema: 2, Data: json.RawMessage(`{"amount":1}`)}}},
		{Format: 1, ID: odd, Command: odd, CommandName: odd, AggregateType: odd, AggregateID: odd, Version: 1 << 60, Prev: odd,
			Actor: domain.Actor{User: odd, Org: odd, Role: domain.Role(odd)}, Correlation: odd, Causation: odd,
			OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC),
			Events:     []storedEvent{{ID: "a", Type: "T", Schema: 1, Data: json.RawMessage(`{"x":[1,2,{"y":"z"}]}`)}, {ID: "b", Type: "U", Schema: 3, Data: json.RawMessage(`null`)}}},
		{Format: 1, OccurredAt: time.Unix(0, 0).UTC()},
	} {
		want, err := json.Marshal(b)
		is.NoErr(err)
		got, err := b.appendJSON(nil)
		is.NoErr(err)
		is.Equal(string(got), string(want)) // byte for byte what encoding/json writes
	}
	_, err := (&commitBody{OccurredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}).appendJSON(nil)
	is.True(err != nil) // a year JSON cannot hold is refused, as encoding/json does
}

// mustBatchedLog has 50 writers, each on its own aggregate, append concurrently; the last
// round starts together so that the aggregates' last commits share signatures.
func mustBatchedLog(t *testing.T) (*testEnv, []*Commit) {
	t.Helper()
	env := MustStore(t, jetstream.FileStorage)
	repo := NewRepo(env.store, newCounter)
	const writers, rounds = 50, 5
	var wg, ready sync.WaitGroup
	start := make(chan struct{})
	ready.Add(writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uniq("batched", w)
			for i := range rounds {
				if i == rounds-1 {
					ready.Done()
					<-start
				}
				if _, err := repo.Update(context.Background(), id, meta(uniq(id, i)), func(c *counter) error { return c.Add(1) }); err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}()
	}
	ready.Wait()
	close(start)
	wg.Wait()
	var commits []*Commit
	if err := env.store.Read(context.Background(), ReadOptions{}, func(c *Commit) error { commits = append(commits, c); return nil }); err != nil {
		t.Fatal(err)
	}
	return env, commits
}

func batchSize(t *testing.T, c *Commit) int {
	t.Helper()
	_, size, _, err := proofShape(c.Proof)
	if err != nil {
		t.Fatalf("sequence %d: %v", c.Sequence, err)
	}
	return size
}

func TestConcurrentWritersShareSignatures(t *testing.T) {
	is := is.New(t)
	env, commits := mustBatchedLog(t)
	is.Equal(len(commits), 250)
	sigs := map[string]bool{}
	biggest := 0
	for _, c := range commits {
		biggest = max(biggest, batchSize(t, c))
		sigs[string(c.Signature)] = true
	}
	t.Logf("%d commits, %d signatures, largest batch %d", len(commits), len(sigs), biggest)
	is.True(biggest > 1)              // concurrent commits shared a signature
	is.True(len(sigs) < len(commits)) // so fewer signatures than commits
	is.Equal(env.store.Stats().Signatures, uint64(len(sigs)))
	rep, err := env.store.VerifyAll(context.Background())
	is.NoErr(err)
	is.True(rep.OK()) // every commit verifies on its own
	is.Equal(rep.Commits, 250)

	// A verification run checks each batch signature once.
	var seen rootCache
	for _, c := range commits {
		is.NoErr(env.store.signer.verify(c.KeyID, &c.sum, c.Signature, c.Proof, &seen))
	}
	is.Equal(seen.checked, len(sigs))
}

// lastInBatch returns a commit that shares its signature and is its aggregate's last.
func lastInBatch(t *testing.T, commits []*Commit) *Commit {
	t.Helper()
	last := map[string]*Commit{}
	for _, c := range commits {
		last[c.AggregateID] = c
	}
	for _, c := range commits {
		if last[c.AggregateID] == c && batchSize(t, c) > 1 {
			return c
		}
	}
	t.Fatal("no aggregate ends with a commit signed in a batch")
	return nil
}

func TestVerifyDetectsCopiedProof(t *testing.T) {
	is := is.New(t)
	env, commits := mustBatchedLog(t)
	ctx := context.Background()
	tip := lastInBatch(t, commits)
	// The forger copies the headers of a genuine commit of the same batch onto its own body,
	// chained correctly after the aggregate's last commit.
	var donor *Commit
	for _, c := range commits {
		if c != tip && bytes.Equal(c.Signature, tip.Signature) {
			donor = c
		}
	}
	is.True(donor != nil) // the batch has another member
	forged := commitBody{Format: 1, ID: "forged", AggregateType: "counter", AggregateID: tip.AggregateID, Version: tip.Version + 1, Prev: tip.Hash,
		Actor: tip.Actor, OccurredAt: time.Now().UTC(), Events: []storedEvent{{ID: "f", Type: "TestAdded", Schema: 2, Data: []byte(`{"amount":1000000}`)}}}
	seq := publishRaw(t, env, tip.Subject, forged, nats.Header{
		HeaderKey: {donor.KeyID}, HeaderSignature: {b64(append(bytes.Clone(donor.Signature), donor.Proof...))}})
	for name, verify := range map[string]func() (Report, error){
		"aggregate": func() (Report, error) { return env.store.VerifyAggregate(ctx, "counter", tip.AggregateID) },
		"all":       func() (Report, error) { return env.store.VerifyAll(ctx) },
	} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			rep, err := verify()
			is.NoErr(err)
			is.Equal(len(rep.Problems), 1)                         // only the forgery
			is.Equal(rep.Problems[0].AggregateID, tip.AggregateID) // names the aggregate
			is.Equal(rep.Problems[0].Sequence, seq)                // and the sequence
			is.True(strings.Contains(rep.Problems[0].Reason, "signature"))
		})
	}
}

func TestVerifyDetectsAlteredProof(t *testing.T) {
	is := is.New(t)
	env, commits := mustBatchedLog(t)
	ctx := context.Background()
	c := lastInBatch(t, commits)
	js, _ := jetstream.New(env.nc)
	st, err := js.Stream(ctx, env.store.cfg.Stream)
	is.NoErr(err)
	// The attacker replaces the aggregate's last commit by the same body with a doctored proof;
	// the chain stays intact, so only the signature check can tell.
	is.NoErr(st.DeleteMsg(ctx, c.Sequence))
	idx, size, path, err := proofShape(c.Proof)
	is.NoErr(err)
	otherIndex := append(bytes.Clone(c.Proof[:0]), byte((idx+1)%size), byte(size))
	otherIndex = append(otherIndex, path...)
	flipped := bytes.Clone(c.Proof)
	flipped[len(flipped)-1] ^= 0x80
	for name, proof := range map[string][]byte{
		"truncated":       c.Proof[:len(c.Proof)-32],
		"sibling flipped": flipped,
		"other index":     otherIndex,
		"stripped":        nil,
		"oversized":       append([]byte{0, 0x80, 0x04}, path...),
	} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: c.Subject, Data: c.Body(), Header: nats.Header{
				HeaderKey: {c.KeyID}, HeaderSignature: {b64(append(bytes.Clone(c.Signature), proof...))}}})
			is.NoErr(err)
			rep, err := env.store.VerifyAggregate(ctx, "counter", c.AggregateID)
			is.NoErr(err)
			is.True(!rep.OK())                                   // detected
			is.Equal(rep.Problems[0].AggregateID, c.AggregateID) // names the aggregate
			is.Equal(rep.Problems[0].Sequence, ack.Sequence)     // and the sequence
			is.True(strings.Contains(rep.Problems[0].Reason, "signature"))
			is.NoErr(st.DeleteMsg(ctx, ack.Sequence)) // for the next case
		})
	}
	// The untouched headers still verify: the cases above failed for their doctoring.
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: c.Subject, Data: c.Body(), Header: nats.Header{
		HeaderKey: {c.KeyID}, HeaderSignature: {b64(append(bytes.Clone(c.Signature), c.Proof...))}}})
	is.NoErr(err)
	rep, err := env.store.VerifyAggregate(ctx, "counter", c.AggregateID)
	is.NoErr(err)
	is.True(rep.OK()) // the genuine proof, republished, verifies
	_ = ack
}

func TestCloseStopsSigner(t *testing.T) {
	is := is.New(t)
	env := MustStore(t, jetstream.MemoryStorage)
	repo := NewRepo(env.store, newCounter)
	ctx := context.Background()
	_, err := repo.Update(ctx, "c1", meta("a"), func(c *counter) error { return c.Add(1) })
	is.NoErr(err)
	is.True(signerRunning()) // started by Open
	is.NoErr(env.store.Close())
	is.True(!signerRunning())   // Close waits for the goroutine to end
	is.NoErr(env.store.Close()) // and may be called again
	_, err = repo.Update(ctx, "c1", meta("b"), func(c *counter) error { return c.Add(1) })
	is.True(errors.Is(err, ErrClosed)) // appends fail instead of hanging
	c, _, err := repo.Load(ctx, "c1", 0)
	is.NoErr(err) // reads still work
	is.Equal(c.Total, 1)
}

// signerRunning reports whether any store's signing goroutine is alive.
func signerRunning() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*batchSigner).run")
}

// The precomputed-nonce signer must produce signatures that the standard library verifies, and
// never the same nonce twice.
func TestNonceSignerIsStandardEd25519(t *testing.T) {
	is := is.New(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	is.NoErr(err)
	n := newNonceSigner(priv)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); n.fill(quit) }()
	seen := map[string]bool{}
	for i := range 2000 {
		msg := []byte(fmt.Sprintf("commit %d", i))
		sig := n.sign(msg)
		is.Equal(len(sig), ed25519.SignatureSize)
		is.True(ed25519.Verify(priv.Public().(ed25519.PublicKey), msg, sig))               // standard verification
		is.True(!ed25519.Verify(priv.Public().(ed25519.PublicKey), append(msg, '!'), sig)) // bound to the message
		is.True(!seen[string(sig[:32])])                                                   // R never repeats
		seen[string(sig[:32])] = true
	}
	close(quit)
	<-done
	// With the pool drained and no filler, signing still works (computed on the spot).
	for len(n.pool) > 0 {
		<-n.pool
	}
	msg := []byte("burst")
	is.True(ed25519.Verify(priv.Public().(ed25519.PublicKey), msg, n.sign(msg)))
}
