package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/domain"
)

// ErrIntegrity marks errors that mean the log, its checkpoints or its witness are not what was
// signed or witnessed: a retry cannot help. Stop writing and run `dieuphoi verify`.
var ErrIntegrity = errors.New("log integrity")

type integrityError struct{ msg string }

func (e *integrityError) Error() string        { return e.msg }
func (e *integrityError) Is(target error) bool { return target == ErrIntegrity }

func integrityErrorf(format string, args ...any) error {
	return &integrityError{fmt.Sprintf(format, args...)}
}

// Checkpoint is a signed statement of a log's Merkle tree: a C2SP checkpoint
// (https://c2sp.org/tlog-checkpoint) whose body is the origin line, the tree size in decimal and
// the base64 root hash, each ending in a newline, signed as a note
// (golang.org/x/mod/sumdb/note) by a key whose name is the origin. It is a small value: it
// travels to partners in feeds and is kept by witnesses as its signed text.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Text   string // the signed note: body, blank line, signature lines
}

// checkpointBody returns the C2SP checkpoint body.
func checkpointBody(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + root.String() + "\n"
}

// OpenCheckpoint parses a signed checkpoint of the log named origin and verifies that one of
// verifiers signed it. It needs nothing but note, so a partner can do the same:
//
//	v, _ := note.NewVerifier(vkey) // vkey from /.well-known/dieuphoi/checkpoint-key
//	n, err := note.Open(text, note.VerifierList(v))
//	// n.Text is "origin\nsize\nbase64 root\n" (later lines, if any, are extensions)
func OpenCheckpoint(text []byte, origin string, verifiers note.Verifiers) (Checkpoint, error) {
	n, err := note.Open(text, verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			var by []string
			for _, s := range unverified.Note.UnverifiedSigs {
				by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return Checkpoint{}, fmt.Errorf("the checkpoint is not signed by a key trusted for %s (signed by %s)", origin, strings.Join(by, ", "))
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("the checkpoint's signature by %s+%08x does not verify: it was forged or altered", invalid.Name, invalid.Hash)
		}
		return Checkpoint{}, fmt.Errorf("the checkpoint is not a signed note: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, errors.New("the checkpoint body has fewer than three lines")
	}
	if lines[0] != origin {
		return Checkpoint{}, fmt.Errorf("the checkpoint is of the log %q, not %q", lines[0], origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return Checkpoint{}, fmt.Errorf("the checkpoint's tree size %q is not a decimal number", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint's root hash %q is not base64 of 32 bytes", lines[2])
	}
	return Checkpoint{Origin: origin, Size: size, Root: root, Text: string(text)}, nil
}

// Origin returns the log's name in its checkpoints.
func (s *Store) Origin() string { return s.cfg.Origin }

// VerifierKey returns the note verifier key of the checkpoints ("origin+hash+base64"), for
// /.well-known/dieuphoi/checkpoint-key.
func (s *Store) VerifierKey() (string, error) {
	if s.cfg.Signer == nil {
		return "", errNoSigner
	}
	return s.cfg.Signer.VerifierKey(s.cfg.Origin)
}

var errNoSigner = errors.New("eventstore: checkpoints need a signing key (Config.Signer)")

func (s *Store) checkpointSubject() string { return s.cfg.CheckpointSubjectPrefix + "." + s.cfg.Stream }

// openCheckpoint verifies a checkpoint of this log with the trusted keys.
func (s *Store) openCheckpoint(text []byte) (Checkpoint, error) {
	if s.cfg.Signer == nil {
		return Checkpoint{}, errNoSigner
	}
	vs, err := s.cfg.Signer.verifiers(s.cfg.Origin)
	if err != nil {
		return Checkpoint{}, err
	}
	return OpenCheckpoint(text, s.cfg.Origin, vs)
}

// signCheckpoint signs the tree at size.
func (s *Store) signCheckpoint(size int64) (Checkpoint, error) {
	if s.cfg.Signer == nil {
		return Checkpoint{}, errNoSigner
	}
	root, err := s.tree.Root(size)
	if err != nil {
		return Checkpoint{}, err
	}
	signer, err := s.cfg.Signer.noteSigner(s.cfg.Origin)
	if err != nil {
		return Checkpoint{}, err
	}
	text, err := note.Sign(&note.Note{Text: checkpointBody(s.cfg.Origin, size, root)}, signer)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signing the checkpoint: %w", err)
	}
	return Checkpoint{Origin: s.cfg.Origin, Size: size, Root: root, Text: string(text)}, nil
}

// latestPublished returns the latest checkpoint in the checkpoint stream, verified by signature
// only, with its sequence in that stream (0 and a zero Checkpoint when there is none).
func (s *Store) latestPublished(ctx context.Context) (Checkpoint, uint64, error) {
	m, err := s.cpStream.GetLastMsgForSubject(ctx, s.checkpointSubject())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Checkpoint{}, 0, nil
	} else if err != nil {
		return Checkpoint{}, 0, fmt.Errorf("reading the latest checkpoint of %s: %w", s.cfg.Stream, err)
	}
	cp, err := s.openCheckpoint(m.Data)
	if errors.Is(err, errNoSigner) {
		return Checkpoint{}, 0, err
	} else if err != nil {
		return Checkpoint{}, 0, integrityErrorf("the latest checkpoint of %s (%s sequence %d) is refused: %v", s.cfg.Stream, s.cfg.CheckpointStream, m.Sequence, err)
	}
	return cp, m.Sequence, nil
}

// LatestCheckpoint returns the latest published checkpoint of the log after checking its
// signature and, when the follower has got that far, that it matches this replica's tree. Its
// Text is what /.well-known/dieuphoi/checkpoint serves. ENOTFOUND before the first one.
func (s *Store) LatestCheckpoint(ctx context.Context) (Checkpoint, error) {
	cp, _, err := s.latestPublished(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Text == "" {
		return Checkpoint{}, domain.Errorf(domain.ENOTFOUND, "no checkpoint of %s has been published yet", s.cfg.Stream)
	}
	if size := s.tree.Size(); cp.Size <= size {
		if err := compareCheckpoint(cp, uint64(size), &s.tree, "the latest checkpoint", foreignHistory); err != nil {
			return Checkpoint{}, err
		}
	}
	return cp, nil
}

// publishCheckpoint publishes cp after the checkpoint at stream sequence after (0: none). It
// reports false, with no error, when another replica published first.
func (s *Store) publishCheckpoint(ctx context.Context, cp Checkpoint, after uint64) (bool, error) {
	msg := &nats.Msg{Subject: s.checkpointSubject(), Data: []byte(cp.Text)}
	_, err := s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(after))
	if isWrongLast(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("publishing the checkpoint of %s at size %d: %w", s.cfg.Stream, cp.Size, err)
	}
	s.stats.checkpoints.Add(1)
	return true, nil
}

func isWrongLast(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// readCheckpoints calls fn with every published checkpoint of the log, in order, with its
// sequence in the checkpoint stream.
func (s *Store) readCheckpoints(ctx context.Context, fn func(seq uint64, text []byte)) error {
	subject := s.checkpointSubject()
	m, err := s.cpStream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
	}
	cons, err := s.cpStream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
	}
	defer it.Stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("reading the checkpoints of %s: %w", s.cfg.Stream, err)
		}
		fn(md.Sequence.Stream, msg.Data())
		if md.Sequence.Stream >= m.Sequence {
			return nil
		}
	}
}

// ProofText renders proof hashes as the transparency endpoints serve them: base64, one a line.
func ProofText(hashes []tlog.Hash) string {
	var b bytes.Buffer
	for _, h := range hashes {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	return b.String()
}
