package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/dieuphoi/dieuphoi/eventstore"
)

// A data directory has exactly one owner at a time: the process that holds the OS lock on
// DATA/LOCK (flock: released when the process exits, crash included). The owner records in
// DATA/owner.json where its NATS server answers, so that the command-line tools reach the log
// through it instead of opening the store a second time; a tool that finds no owner takes the
// lock itself for as long as it runs.

// owner is what DATA/owner.json says about the process that holds the directory.
type owner struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
	NATS    string `json:"nats"` // client URL of the NATS server the owner runs or uses
	// Embedded: that server is the owner's embedded one, reached as its service user (DATA/keys/nats).
	Embedded   bool      `json:"embedded"`
	Deployment string    `json:"deployment"`
	Since      time.Time `json:"since"`
}

// errBusy: another process holds the data directory.
var errBusy = errors.New("the data directory is held by another process")

// dataLock is a held data directory; release gives it up.
type dataLock struct {
	dir string
	f   *os.File
}

// lockData takes the data directory (creating it), or answers errBusy at once if another process
// holds it.
func lockData(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, fmt.Errorf("locking the data directory %s: %w", dir, err)
	}
	return &dataLock{dir: dir, f: f}, nil
}

// record writes the owner record (atomically: a reader sees the old or the new one).
func (l *dataLock) record(o owner) error {
	o.PID, o.Since = os.Getpid(), time.Now().UTC()
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(l.dir, ".owner.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("recording the data directory's owner: %w", err)
	}
	return os.Rename(tmp, filepath.Join(l.dir, "owner.json"))
}

// release removes the owner record and gives the directory up.
func (l *dataLock) release() {
	_ = os.Remove(filepath.Join(l.dir, "owner.json"))
	_ = l.f.Close()
}

// readOwner reads the record of the process holding dir.
func readOwner(dir string) (owner, error) {
	var o owner
	b, err := os.ReadFile(filepath.Join(dir, "owner.json"))
	if err != nil {
		return o, fmt.Errorf("data directory %s is held by another process, which has not recorded where it answers yet (starting?): try again in a moment: %w", dir, err)
	}
	if err := json.Unmarshal(b, &o); err != nil || o.NATS == "" {
		return o, fmt.Errorf("data directory %s is held by another process whose owner record is unreadable; find the process holding %s", dir, filepath.Join(dir, "LOCK"))
	}
	return o, nil
}

// busyError says who holds the directory and what to do.
func busyError(dir, what string) error {
	o, err := readOwner(dir)
	if err != nil {
		return err
	}
	return fmt.Errorf("data directory %s is in use by process %d (dieuphoi %s, NATS at %s, since %s): %s",
		dir, o.PID, o.Command, o.NATS, o.Since.Format(time.RFC3339), what)
}

// deploymentID names the deployment after its signing key, which all its replicas share: the
// streams record it, and no process writes into the streams of another deployment.
func deploymentID(s *eventstore.Signer) string {
	sum := sha256.Sum256(s.PublicKey())
	return "dieuphoi-" + hex.EncodeToString(sum[:8])
}
