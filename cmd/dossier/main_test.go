package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The scripts drive real things: the dossier binary (this test binary, run
// as "dossier"), the git binary, and the stock sops CLI built from the sops
// module version in go.mod.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dossier": func() {
			dir, _ := os.Getwd()
			os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, dir: dir}, os.Args[1:]))
		},
	})
}

// toolsDir holds the stock sops binary, built once per test run.
var toolsDir string

func buildSops(t *testing.T) string {
	if toolsDir != "" {
		return toolsDir
	}
	dir := os.Getenv("DOSSIER_TOOLS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "dossier-test-tools")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sops")); err == nil && os.Getenv("DOSSIER_TOOLS") != "" {
		toolsDir = dir // built by "make test" from the same go.mod
		return dir
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sops"), "github.com/getsops/sops/v3/cmd/sops")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stock sops CLI: %v\n%s", err, out)
	}
	toolsDir = dir
	return dir
}

func moduleRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestScripts(t *testing.T) {
	tools := buildSops(t)
	root := moduleRoot(t)
	testscript.Run(t, Params(tools, root, "testdata/script"))
}

// Params are the testscript parameters shared by every script directory.
func Params(tools, root, dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Condition:           condition,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			if err := os.MkdirAll(home, 0o700); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			e.Setenv("PATH", e.Getenv("PATH")+string(os.PathListSeparator)+tools)
			e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			e.Setenv("GIT_AUTHOR_NAME", "Test Engineer")
			e.Setenv("GIT_AUTHOR_EMAIL", "engineer@vts.invalid")
			e.Setenv("GIT_COMMITTER_NAME", "Test Engineer")
			e.Setenv("GIT_COMMITTER_EMAIL", "engineer@vts.invalid")
			e.Setenv("EDITOR", "false")
			e.Setenv("VISUAL", "")
			e.Setenv("TESTDATA", filepath.Join(root, "testdata"))
			e.Setenv("SRCROOT", root)
			gitconfig := "[user]\n\tname = Test Engineer\n\temail = engineer@vts.invalid\n[init]\n\tdefaultBranch = main\n"
			return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o600)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"nofile-contains": cmdNoFileContains,
			"exits":           cmdExits,
			"start-sshd":      cmdStartSshd,
			"req-records":     cmdReqRecords,
			"subject-valid":   cmdSubjectValid,
			"report-render":   cmdReportRender,
			"req-erased":      cmdReqErased,
			"erase-fixture":   cmdEraseFixture,
			"purge-fixture":   cmdPurgeFixture,
			"objects-absent":  cmdObjectsAbsent,
			"corrupt-object":  cmdCorruptObject,
			"purge-erase":     cmdPurgeErase,
			"ssh-signer":      cmdSSHSigner,
			"erased-objects":  cmdErasedObjects,
			"hold-lock":       cmdHoldLock,
			"release-lock":    cmdReleaseLock,
			"canary-run":      cmdCanaryRun,
		},
	}
}

// cmdExits runs a program as exec does and fails unless it exits with
// CODE: how scripts pin the exit-code scheme (exec only tells zero from
// non-zero). Its stdout and stderr are checked with stdout and stderr.
//
//	exits CODE PROG ARGS...
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: code %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("exits: %v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// cmdNoFileContains fails if any regular file under DIR contains one of
// the given strings: the plaintext-leak check over a repository, its .git
// objects included (loose objects are zlib-compressed, so scripts also
// check "git log -p" and "git cat-file" output).
//
//	nofile-contains DIR STRING...
func cmdNoFileContains(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: nofile-contains DIR STRING...")
	}
	root := ts.MkAbs(args[0])
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range args[1:] {
			if strings.Contains(string(data), s) {
				return fmt.Errorf("%s contains %q", p, s)
			}
		}
		return nil
	})
	if err != nil {
		ts.Fatalf("%v", err)
	}
}
