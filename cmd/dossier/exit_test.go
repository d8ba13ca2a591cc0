package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vts/dossier/internal/backup"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/repo"
)

// A panic inside a command is an internal error, exit 2, and its value
// (which could hold a record's field) is not printed unless DOSSIER_DEBUG=1.
func TestPanicIsInternalWithoutValue(t *testing.T) {
	const canary = "Canary-Secret-4Q7"
	commands["test-panic"] = &command{name: "test-panic", run: func(*env, []string) error { panic(fmt.Errorf("field value %s", canary)) }}
	defer delete(commands, "test-panic")
	for _, debug := range []string{"", "1"} {
		t.Setenv("DOSSIER_DEBUG", debug)
		var out, errOut bytes.Buffer
		code := run(&env{stdout: &out, stderr: &errOut, dir: t.TempDir()}, []string{"test-panic"})
		if code != exitUsage {
			t.Errorf("DOSSIER_DEBUG=%q: exit %d, want %d", debug, code, exitUsage)
		}
		if !strings.HasPrefix(errOut.String(), "dossier: internal error") {
			t.Errorf("DOSSIER_DEBUG=%q: stderr %q", debug, errOut.String())
		}
		leaked := strings.Contains(errOut.String()+out.String(), canary)
		if leaked != (debug == "1") {
			t.Errorf("DOSSIER_DEBUG=%q: panic value shown: %v, want %v", debug, leaked, debug == "1")
		}
	}
}

// The exit code comes from the error's type, wrapped or not, never its text.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{usageError("x"), exitUsage},
		{refused("x"), exitFindings},
		{withHint(usageError("x"), "h"), exitUsage},
		{refusal.New("x"), exitFindings},
		{fmt.Errorf("wrapped: %w", refusal.New("x")), exitFindings},
		{fmt.Errorf("purge: %w", &purge.RefusedError{Reason: "x"}), exitFindings},
		{&backup.RefusedError{Name: "usb", URL: "/x", Rule: "x"}, exitFindings},
		{fmt.Errorf("finding: %w", &repo.NotFoundError{Dir: "/x"}), exitUsage},
		{errors.New("refused: looks like a refusal but is a failure"), exitUsage},
	} {
		k, _ := classify(c.err)
		if got := exitCode(k); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	kinds := []string{"contract", "customer", "environment", "error", "maintenance", "user"}
	for in, want := range map[string]string{
		"usr": "user", "users": "user", "contrct": "contract", "eror": "error",
		"frobnicate": "", "x": "", "": "",
	} {
		if got := suggest(in, kinds); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
