package eventstore

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Signer holds the Ed25519 key that signs the log's checkpoints and the public keys trusted to
// have signed them: its own, and earlier keys kept after a rotation so that old checkpoints and
// witnesses still verify. Replicas of one deployment share the key file. Keys are plain
// crypto/ed25519 (RFC 8032, deterministic); checkpoints are signed notes
// (golang.org/x/mod/sumdb/note) whose key name is the log's origin.
type Signer struct {
	priv    ed25519.PrivateKey
	trusted []ed25519.PublicKey // the signing key's own first; no duplicates
}

// NewSigner returns a signer for the given private key, trusting its own public key and extra.
func NewSigner(priv ed25519.PrivateKey, extra ...ed25519.PublicKey) *Signer {
	s := &Signer{priv: priv, trusted: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}}
	for _, k := range extra {
		if !slices.ContainsFunc(s.trusted, func(t ed25519.PublicKey) bool { return t.Equal(k) }) {
			s.trusted = append(s.trusted, k)
		}
	}
	return s
}

// PublicKey returns the public half of the signing key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// VerifierKey returns the note verifier key of the signing key for the log named origin, as
// "origin+hash+base64" (note.NewVerifier reads it).
func (s *Signer) VerifierKey(origin string) (string, error) {
	vkey, err := note.NewEd25519VerifierKey(origin, s.PublicKey())
	if err != nil {
		return "", err
	}
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", fmt.Errorf("origin %q cannot name a note key (no spaces or '+'): %w", origin, err)
	}
	return vkey, nil
}

// noteSigner returns the note signer of the key for origin. It is built from the seed in the
// note key format ("PRIVATE+KEY+name+hash+base64(0x01 seed)"), so that note itself checks the
// key hash and signs with crypto/ed25519.
func (s *Signer) noteSigner(origin string) (note.Signer, error) {
	vkey, err := s.VerifierKey(origin)
	if err != nil {
		return nil, err
	}
	_, rest, _ := strings.Cut(vkey, "+")
	hash, _, _ := strings.Cut(rest, "+")
	skey := "PRIVATE+KEY+" + origin + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{ed25519Alg}, s.priv.Seed()...))
	return note.NewSigner(skey)
}

// ed25519Alg is the signed-note signature type of Ed25519 (C2SP signed-note).
const ed25519Alg = 0x01

// verifiers returns note verifiers of every trusted key for origin.
func (s *Signer) verifiers(origin string) (note.Verifiers, error) {
	list := make([]note.Verifier, 0, len(s.trusted))
	for _, k := range s.trusted {
		vkey, err := note.NewEd25519VerifierKey(origin, k)
		if err != nil {
			return nil, err
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("origin %q cannot name a note key (no spaces or '+'): %w", origin, err)
		}
		list = append(list, v)
	}
	return note.VerifierList(list...), nil
}

// LoadOrCreateKey reads the hex Ed25519 seed in path, creating it (mode 0600, in a 0700
// directory) when it does not exist.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("key directory: %w", err)
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("writing key %s: %w", path, err)
		}
		b = []byte(hex.EncodeToString(seed))
	} else if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key %s: want %d hex-encoded bytes", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// LoadOrCreateSigner reads the checkpoint signing key in path (see LoadOrCreateKey). Public keys
// in *.pub files of trustDir (one hex key per file) are trusted as well, so that checkpoints and
// witnesses signed before a key rotation still verify.
func LoadOrCreateSigner(path, trustDir string) (*Signer, error) {
	priv, err := LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	var extra []ed25519.PublicKey
	if trustDir != "" {
		files, _ := filepath.Glob(filepath.Join(trustDir, "*.pub"))
		for _, f := range files {
			kb, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			k, err := hex.DecodeString(strings.TrimSpace(string(kb)))
			if err != nil || len(k) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("trusted key %s: want %d hex-encoded bytes", f, ed25519.PublicKeySize)
			}
			extra = append(extra, ed25519.PublicKey(k))
		}
	}
	return NewSigner(priv, extra...), nil
}
