package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// heldLocks are the lock files the scripts hold from the test process, by
// absolute path (scripts run in parallel in one process).
var heldLocks sync.Map

// cmdHoldLock takes flock on FILE in the test process, as a running
// dossier would (exclusive as a backup, -shared as a verify or restore),
// and writes a holder line like dossier's. It fails if the lock is taken.
// The lock is released by release-lock or when the script ends.
//
//	hold-lock [-shared] FILE
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	how, op := syscall.LOCK_EX, "backup"
	if len(args) == 2 && args[0] == "-shared" {
		how, op, args = syscall.LOCK_SH, "restore", args[1:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hold-lock [-shared] FILE")
	}
	p := ts.MkAbs(args[0])
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		ts.Fatalf("flock %s: %v", p, err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "dossier %s, pid %d on testhost at 2026-03-01T10:00:00Z\n", op, os.Getpid())
	heldLocks.Store(p, f)
	ts.Defer(func() {
		if f, ok := heldLocks.LoadAndDelete(p); ok {
			f.(*os.File).Close()
		}
	})
}

// cmdReleaseLock releases a lock taken by hold-lock.
//
//	release-lock FILE
func cmdReleaseLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: release-lock FILE")
	}
	f, ok := heldLocks.LoadAndDelete(ts.MkAbs(args[0]))
	if !ok {
		ts.Fatalf("%s is not held", args[0])
	}
	f.(*os.File).Close()
}
