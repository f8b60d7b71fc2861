package eventstore

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// The Merkle tree over a signing batch. Leaves and inner nodes are hashed with different
// prefixes (as in RFC 6962) so that an inner node can never be passed off as a commit digest,
// nor a commit digest as an inner node. A level with an odd number of nodes promotes its last
// node unchanged, which gives the same roots as RFC 6962's split at the largest power of two.

const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// leafHash is the tree leaf of a commit whose body has sha256 digest.
func leafHash(digest *[32]byte) [32]byte {
	var b [1 + 32]byte
	b[0] = leafPrefix
	copy(b[1:], digest[:])
	return sha256.Sum256(b[:])
}

func nodeHash(left, right *[32]byte) [32]byte {
	var b [1 + 64]byte
	b[0] = nodePrefix
	copy(b[1:], left[:])
	copy(b[33:], right[:])
	return sha256.Sum256(b[:])
}

// merkleLevels builds the tree bottom-up: levels[0] are the leaves, the last level is the root.
func merkleLevels(leaves [][32]byte) [][][32]byte {
	levels := [][][32]byte{leaves}
	for cur := leaves; len(cur) > 1; {
		next := make([][32]byte, 0, (len(cur)+1)/2)
		for i := 0; i < len(cur); i += 2 {
			if i+1 == len(cur) {
				next = append(next, cur[i])
			} else {
				next = append(next, nodeHash(&cur[i], &cur[i+1]))
			}
		}
		levels = append(levels, next)
		cur = next
	}
	return levels
}

// appendProof appends the audit path of leaf idx: uvarint index, uvarint batch size, then the
// sibling hashes from the leaf up (levels where the node was promoted have none).
func appendProof(dst []byte, levels [][][32]byte, idx int) []byte {
	dst = binary.AppendUvarint(dst, uint64(idx))
	dst = binary.AppendUvarint(dst, uint64(len(levels[0])))
	for _, level := range levels[:len(levels)-1] {
		if sib := idx ^ 1; sib < len(level) {
			dst = append(dst, level[sib][:]...)
		}
		idx >>= 1
	}
	return dst
}

// proofShape decodes a proof's leaf index and batch size; an empty proof is a batch of one.
func proofShape(proof []byte) (idx, size int, path []byte, err error) {
	if len(proof) == 0 {
		return 0, 1, nil, nil
	}
	i, n := binary.Uvarint(proof)
	if n <= 0 {
		return 0, 0, nil, errors.New("bad leaf index")
	}
	sz, m := binary.Uvarint(proof[n:])
	if m <= 0 {
		return 0, 0, nil, errors.New("bad batch size")
	}
	if sz < 1 || sz > maxSignBatch || i >= sz {
		return 0, 0, nil, fmt.Errorf("leaf %d of a batch of %d is impossible", i, sz)
	}
	return int(i), int(sz), proof[n+m:], nil
}

// proofRoot recomputes the signed root from a commit's leaf and its proof.
func proofRoot(leaf [32]byte, proof []byte) ([32]byte, error) {
	idx, size, path, err := proofShape(proof)
	if err != nil {
		return leaf, err
	}
	r := leaf
	for ; size > 1; size = (size + 1) / 2 {
		if idx%2 == 1 || idx+1 < size {
			if len(path) < 32 {
				return leaf, fmt.Errorf("audit path is %d bytes short", 32-len(path))
			}
			sib := (*[32]byte)(path[:32])
			if idx%2 == 1 {
				r = nodeHash(sib, &r)
			} else {
				r = nodeHash(&r, sib)
			}
			path = path[32:]
		}
		idx /= 2
	}
	if len(path) != 0 {
		return leaf, fmt.Errorf("audit path has %d bytes too many", len(path))
	}
	return r, nil
}

// rootCacheMax bounds a verification run's memory: commits of one batch sit close together in
// the stream, so forgetting old roots costs at most a few repeated signature checks.
const rootCacheMax = 1 << 14

type rootKey struct {
	keyID string
	root  [32]byte
	sig   [ed25519.SignatureSize]byte
}

// rootCache remembers (key, root, signature) triples that verified. A nil cache remembers
// nothing. Safe for concurrent use.
type rootCache struct {
	mu      sync.Mutex
	m       map[rootKey]struct{}
	checked int // signatures verified and added (for tests)
}

func (c *rootCache) has(keyID string, root *[32]byte, sig []byte) bool {
	if c == nil {
		return false
	}
	k := rootKey{keyID: keyID, root: *root, sig: [ed25519.SignatureSize]byte(sig)}
	c.mu.Lock()
	_, ok := c.m[k]
	c.mu.Unlock()
	return ok
}

func (c *rootCache) add(keyID string, root *[32]byte, sig []byte) {
	if c == nil {
		return
	}
	k := rootKey{keyID: keyID, root: *root, sig: [ed25519.SignatureSize]byte(sig)}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= rootCacheMax {
		c.m = make(map[rootKey]struct{})
	}
	c.m[k] = struct{}{}
	c.checked++
	c.mu.Unlock()
}
