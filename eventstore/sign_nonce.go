package eventstore

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// nonceSigner produces standard Ed25519 signatures (ed25519.Verify accepts them unchanged) with
// the expensive half precomputed. An Ed25519 signature is (R, S) with R = r·B and
// S = r + H(R‖A‖M)·s. RFC 8032 derives r from the message, so r·B (a scalar base
// multiplication, most of a signature's cost) can only start once the commit exists, and every
// writer waits for it. Here r is uniformly random instead, so (r, r·B) pairs are computed ahead
// of time by a background goroutine and a signature on the write path is one SHA-512 and one
// scalar multiply-add. Each pair is used exactly once (a channel hands it out); r comes from
// crypto/rand, which does not fail in Go 1.24 and later. Reusing an r would reveal the key;
// nothing here can.
type nonceSigner struct {
	s    *edwards25519.Scalar // the secret scalar of the key
	pub  []byte               // A, the encoded public key
	pool chan nonce
}

type nonce struct {
	r *edwards25519.Scalar
	R [32]byte
}

// nonceBuffer is how many pairs are kept ready: enough for a burst of several thousand
// signatures (with group signing, tens of thousands of commits).
const nonceBuffer = 4096

func newNonceSigner(priv ed25519.PrivateKey) *nonceSigner {
	h := sha512.Sum512(priv.Seed())
	s, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		panic("ed25519 seed hash is not 32 bytes") // cannot happen: h[:32] is 32 bytes
	}
	return &nonceSigner{s: s, pub: priv.Public().(ed25519.PublicKey), pool: make(chan nonce, nonceBuffer)}
}

func (n *nonceSigner) fresh() nonce {
	var seed [64]byte
	rand.Read(seed[:])
	r, err := edwards25519.NewScalar().SetUniformBytes(seed[:])
	if err != nil {
		panic("uniform scalar needs 64 bytes") // cannot happen
	}
	var out nonce
	out.r = r
	copy(out.R[:], new(edwards25519.Point).ScalarBaseMult(r).Bytes())
	return out
}

// fill keeps the pool full until quit is closed.
func (n *nonceSigner) fill(quit <-chan struct{}) {
	for {
		x := n.fresh()
		select {
		case n.pool <- x:
		case <-quit:
			return
		}
	}
}

// sign returns an Ed25519 signature of msg, taking a precomputed pair or, if the pool is empty
// (a burst beyond the buffer), computing one on the spot.
func (n *nonceSigner) sign(msg []byte) []byte {
	var x nonce
	select {
	case x = <-n.pool:
	default:
		x = n.fresh()
	}
	h := sha512.New()
	h.Write(x.R[:])
	h.Write(n.pub)
	h.Write(msg)
	k, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	if err != nil {
		panic("sha512 output is not 64 bytes") // cannot happen
	}
	S := edwards25519.NewScalar().MultiplyAdd(k, n.s, x.r)
	sig := make([]byte, 0, ed25519.SignatureSize)
	sig = append(sig, x.R[:]...)
	return append(sig, S.Bytes()...)
}
