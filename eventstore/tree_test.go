package eventstore

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"

	"github.com/matryer/is"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dieuphoi/dieuphoi/domain"
)

func mustTree(t *testing.T, n int) *Tree {
	t.Helper()
	var tree Tree
	for i := range n {
		if err := tree.add(tlog.RecordHash([]byte(fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}
	return &tree
}

// Every root, inclusion proof and consistency proof of trees up to 40 leaves checks with tlog.
func TestTreeProofs(t *testing.T) {
	is := is.New(t)
	tree := mustTree(t, 40)
	empty, err := tree.Root(0)
	is.NoErr(err)                                  // the empty tree has a root
	is.Equal(empty, tlog.Hash(sha256.Sum256(nil))) // RFC 6962: the hash of nothing
	for size := int64(1); size <= tree.Size(); size++ {
		root, err := tree.Root(size)
		is.NoErr(err) // root at every size
		for i := range size {
			leaf, err := tree.LeafHash(i)
			is.NoErr(err)                                          // leaf hash
			is.Equal(leaf, tlog.RecordHash([]byte(fmt.Sprint(i)))) // is tlog's record hash
			p, err := tree.InclusionProof(i, size)
			is.NoErr(err)                                      // inclusion proof
			is.NoErr(tlog.CheckRecord(p, size, root, i, leaf)) // checks
			if size > 1 {
				other := (i + 1) % size
				is.True(tlog.CheckRecord(p, size, root, other, leaf) != nil) // not for another index
			}
		}
		for old := int64(1); old <= size; old++ {
			oldRoot, _ := tree.Root(old)
			p, err := tree.ConsistencyProof(old, size)
			is.NoErr(err)                                         // consistency proof
			is.NoErr(tlog.CheckTree(p, size, root, old, oldRoot)) // checks
		}
	}
}

func TestTreeRefusesBadArguments(t *testing.T) {
	tree := mustTree(t, 5)
	for name, call := range map[string]func() error{
		"root beyond":        func() error { _, err := tree.Root(6); return err },
		"leaf beyond":        func() error { _, err := tree.LeafHash(5); return err },
		"index beyond size":  func() error { _, err := tree.InclusionProof(3, 3); return err },
		"size beyond":        func() error { _, err := tree.InclusionProof(0, 6); return err },
		"old above new":      func() error { _, err := tree.ConsistencyProof(4, 3); return err },
		"old zero":           func() error { _, err := tree.ConsistencyProof(0, 3); return err },
		"consistency beyond": func() error { _, err := tree.ConsistencyProof(1, 9); return err },
	} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			err := call()
			is.True(err != nil)                                                                            // refused
			is.True(domain.ErrorCode(err) == domain.EINVALID || domain.ErrorCode(err) == domain.ENOTFOUND) // with a code an endpoint can map
		})
	}
}

// Readers prove against the tree while the follower appends to it.
func TestTreeConcurrentReaders(t *testing.T) {
	is := is.New(t)
	tree := mustTree(t, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				size := tree.Size()
				root, err := tree.Root(size)
				if err != nil {
					t.Error(err)
					return
				}
				p, err := tree.InclusionProof(size-1, size)
				if err == nil {
					leaf, _ := tree.LeafHash(size - 1)
					err = tlog.CheckRecord(p, size, root, size-1, leaf)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 1; i < 2000; i++ {
		is.NoErr(tree.add(tlog.RecordHash([]byte(fmt.Sprint(i))))) // append while reading
	}
	wg.Wait()
}
