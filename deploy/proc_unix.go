//go:build unix

package deploy

import (
	"os/exec"
	"syscall"
)

var terminate = syscall.SIGTERM

// setDeathSignal is set per OS: on Linux a child dies with the process that started it, so a
// test or `make cluster` that is killed leaves no server behind.
var setDeathSignal = func(*exec.Cmd) {}
