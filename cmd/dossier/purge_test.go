package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/vts/dossier/internal/ledger"
)

// The purge scripts need an erasure already made. Until "dossier erase"
// exists on this branch, purge-erase makes one the way erase will (the
// contract is the ledger entry, see internal/ledger): it removes the
// subject's records at HEAD, keeps the named paths minimised, lists every
// historical blob of the erased files, and commits with the request's
// trailers. It is a test fixture, not a fake: purge and verify-erasure run
// on a real repository and real git.
//
//	purge-erase SUBJECT ID [KEPT-PATH...]
func cmdPurgeErase(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: purge-erase SUBJECT ID [KEPT-PATH...]")
	}
	subject, id, keptPaths := args[0], args[1], args[2:]
	dir := "records/" + subject
	if strings.Contains(subject, "/") {
		c, u, _ := strings.Cut(subject, "/")
		dir = "records/" + c + "/users/" + u + ".yaml"
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = scriptEnv(ts)
		out, err := cmd.CombinedOutput()
		if err != nil {
			ts.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	kept := map[string]bool{}
	for _, k := range keptPaths {
		kept[k] = true
	}
	// Every blob ever at an erased path, in any ref (stash included).
	objects := map[string]bool{}
	for _, line := range strings.Split(git("log", "--all", "-m", "--format=", "--raw", "--no-abbrev", "--", dir), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], ":") {
			continue
		}
		for _, o := range f[2:4] {
			if strings.Trim(o, "0") != "" {
				objects[o] = true
			}
		}
	}
	var erasedPaths []string
	for _, p := range strings.Fields(git("ls-files", "--", dir)) {
		erasedPaths = append(erasedPaths, p)
		if kept[p] {
			// The minimised version stays; it must differ from every old one.
			f, err := os.OpenFile(ts.MkAbs(p), os.O_APPEND|os.O_WRONLY, 0)
			ts.Check(err)
			fmt.Fprintf(f, "# minimised under %s\n", id)
			ts.Check(f.Close())
			git("add", p)
			delete(objects, strings.TrimSpace(git("rev-parse", ":"+p)))
			continue
		}
		git("rm", "-q", p)
	}
	req := &ledger.Request{ID: id, Type: ledger.Erasure, Subject: subject, Received: "2026-01-05", Due: "2026-02-05",
		Status: ledger.Done, Done: "2026-01-10", ErasedPaths: erasedPaths}
	for _, k := range keptPaths {
		req.Kept = append(req.Kept, ledger.Kept{Path: k, Basis: "legal obligation", Until: "2033-01-01"})
	}
	for o := range objects {
		req.ErasedObjects = append(req.ErasedObjects, o)
	}
	sort.Strings(req.ErasedObjects)
	ts.Check(req.Save(ts.MkAbs(".")))
	git("add", ledger.Path(id))
	git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m",
		fmt.Sprintf("Erase %s\n\nDossier-Request: %s\nDossier-Action: erasure\nDossier-Subject: %s\n", subject, id, subject))
}

// cmdErasedObjects checks, with git cat-file -e, that every object the
// request's ledger entry lists is present, or that every one is gone.
//
//	erased-objects ID present|gone
func cmdErasedObjects(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || (args[1] != "present" && args[1] != "gone") {
		ts.Fatalf("usage: erased-objects ID present|gone")
	}
	req, err := ledger.Load(ts.MkAbs("."), args[0])
	ts.Check(err)
	if len(req.ErasedObjects) == 0 {
		ts.Fatalf("%s lists no erased objects", args[0])
	}
	for _, o := range req.ErasedObjects {
		cmd := exec.Command("git", "cat-file", "-e", o)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = scriptEnv(ts)
		exists := cmd.Run() == nil
		if exists != (args[1] == "present") {
			ts.Fatalf("object %s: exists=%v, want %s", o, exists, args[1])
		}
	}
}

// scriptEnv is the script's environment for commands run from Go.
func scriptEnv(ts *testscript.TestScript) []string {
	env := os.Environ()
	for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "PATH", "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
		"GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"} {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, "PWD="+filepath.Clean(ts.MkAbs(".")))
}
