package purge

import "os"

// killSelf ends the process at once, as a power cut would: no deferred
// call runs. (SIGKILL on Unix, TerminateProcess on Windows.)
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
}
