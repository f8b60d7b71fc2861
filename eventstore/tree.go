package eventstore

import (
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/domain"
)

// Tree is the RFC 6962 Merkle tree over a log stream, kept in memory as the hashes
// golang.org/x/mod/sumdb/tlog stores for it (about two per leaf, 64 bytes a leaf). Leaf i is
// the message at stream sequence i+1, hashed with tlog.RecordHash of its body. All the hashing
// and proving is tlog's; Tree only keeps the stored hashes. Its methods are safe for concurrent
// use.
type Tree struct {
	mu     sync.RWMutex
	hashes []tlog.Hash // in tlog.StoredHashIndex order
	size   int64
}

// Size returns the number of leaves.
func (t *Tree) Size() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// Root returns the tree hash at size, any size up to the current one (the empty tree's is
// sha256 of nothing, as in RFC 6962).
func (t *Tree) Root(size int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.checkSize(size); err != nil {
		return tlog.Hash{}, err
	}
	return tlog.TreeHash(size, t.reader())
}

// LeafHash returns the hash of leaf index (the message at stream sequence index+1).
func (t *Tree) LeafHash(index int64) (tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if index < 0 || index >= t.size {
		return tlog.Hash{}, domain.Errorf(domain.ENOTFOUND, "leaf %d is not in the tree of size %d", index, t.size)
	}
	return t.hashes[tlog.StoredHashIndex(0, index)], nil
}

// InclusionProof proves that leaf index is in the tree of the given size (tlog.CheckRecord
// verifies it against Root(size) and LeafHash(index)).
func (t *Tree) InclusionProof(index, size int64) (tlog.RecordProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.checkSize(size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, domain.Errorf(domain.EINVALID, "index %d is not a leaf of a tree of size %d: use 0 ≤ index < size", index, size)
	}
	return tlog.ProveRecord(size, index, t.reader())
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree of size new
// (tlog.CheckTree verifies it against Root(new) and Root(old)).
func (t *Tree) ConsistencyProof(old, new int64) (tlog.TreeProof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.checkSize(new); err != nil {
		return nil, err
	}
	if old < 1 || old > new {
		return nil, domain.Errorf(domain.EINVALID, "old size %d must be between 1 and the new size %d", old, new)
	}
	return tlog.ProveTree(new, old, t.reader())
}

func (t *Tree) checkSize(size int64) error {
	if size < 0 || size > t.size {
		return domain.Errorf(domain.ENOTFOUND, "tree size %d is beyond the log's current size %d", size, t.size)
	}
	return nil
}

// reader reads stored hashes; t.mu is held.
func (t *Tree) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(t.hashes)) {
				return nil, fmt.Errorf("stored hash %d is not in the tree (%d stored)", x, len(t.hashes))
			}
			out[i] = t.hashes[x]
		}
		return out, nil
	})
}

// add appends the next leaf; the follower calls it in stream order.
func (t *Tree) add(leaf tlog.Hash) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	hs, err := tlog.StoredHashesForRecordHash(t.size, leaf, t.reader())
	if err != nil {
		return err
	}
	t.hashes = append(t.hashes, hs...)
	t.size++
	return nil
}
