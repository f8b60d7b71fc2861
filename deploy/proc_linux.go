package deploy

import (
	"os/exec"
	"syscall"
)

func init() {
	setDeathSignal = func(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
}
