//go:build !linux

package identity

// widenPipe leaves the pipe as the system makes it.
func widenPipe(any) {}
