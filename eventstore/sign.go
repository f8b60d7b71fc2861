package eventstore

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Signer signs commits with the service's Ed25519 key and knows which public keys it trusts when
// verifying. Replicas of one deployment share the same key file.
//
// What is signed is not a commit but the root of a Merkle tree over the digests of the commits
// that were waiting together (see sign_batch.go): one Ed25519 signature costs about as much CPU
// as a whole JetStream publish, so commits in flight together share it. Each commit carries the
// root signature and its audit path, and verifies on its own.
type Signer struct {
	priv    ed25519.PrivateKey
	fast    *nonceSigner
	keyID   string
	trusted map[string]ed25519.PublicKey
}

// NewSigner returns a signer for the given private key, trusting its own public key and extra.
func NewSigner(priv ed25519.PrivateKey, extra ...ed25519.PublicKey) *Signer {
	pub := priv.Public().(ed25519.PublicKey)
	s := &Signer{priv: priv, fast: newNonceSigner(priv), keyID: KeyID(pub), trusted: map[string]ed25519.PublicKey{}}
	s.trusted[s.keyID] = pub
	for _, k := range extra {
		s.trusted[KeyID(k)] = k
	}
	return s
}

// KeyID names a public key in commit headers: the first 16 hex digits of its sha256. It is sent
// with every commit, so it is short; it only selects a trusted key, and the signature check with
// that key is what counts, so a collision could at worst make a commit fail to verify.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// KeyID returns the id of the signing key.
func (s *Signer) KeyID() string { return s.keyID }

// PublicKey returns the public half of the signing key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// signRoot signs a Merkle root (for a lone commit, its leaf hash).
func (s *Signer) signRoot(root *[32]byte) []byte { return s.fast.sign(root[:]) }

// verify checks that the commit with body digest digest is covered by sig: it recomputes the
// Merkle root from the commit's leaf and audit path, then checks the root's signature. seen, if
// not nil, remembers roots already verified, so that a batch's signature is checked once per
// verification run rather than once per commit.
func (s *Signer) verify(keyID string, digest *[32]byte, sig, proof []byte, seen *rootCache) error {
	pub, ok := s.trusted[keyID]
	if !ok {
		return fmt.Errorf("signed by untrusted key %.16s…", keyID)
	}
	if len(sig) != ed25519.SignatureSize {
		return errors.New("signature does not match the commit (malformed signature)")
	}
	root, err := proofRoot(leafHash(digest), proof)
	if err != nil {
		return fmt.Errorf("signature proof is malformed: %w", err)
	}
	if seen.has(keyID, &root, sig) {
		return nil
	}
	if !ed25519.Verify(pub, root[:], sig) {
		return errors.New("signature does not match the commit")
	}
	seen.add(keyID, &root, sig)
	return nil
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

// LoadOrCreateSigner reads the signing key in path (see LoadOrCreateKey). Public keys in *.pub
// files of trustDir (one hex key per file) are trusted as well, so that commits signed before a
// key rotation still verify.
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
