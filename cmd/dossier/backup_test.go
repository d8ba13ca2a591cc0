package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/vts/dossier/internal/ledger"
)

// Test fixtures for the backup scripts. Erasure and purge are built by
// other issues; until they land these make the same repository states with
// real git: an erasure commit with its ledger entry, and a purge done with
// git filter-repo that records old tips in the ledger.

func gitOut(ts *testscript.TestScript, dir string, args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+ts.Getenv("HOME"), "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		ts.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// cmdEraseFixture removes record files at HEAD in the repository in the
// current directory and commits that with a ledger entry listing every
// blob id the files ever had.
//
//	erase-fixture ID PATH...
func cmdEraseFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: erase-fixture ID PATH...")
	}
	dir := ts.MkAbs(".")
	id, paths := args[0], args[1:]
	objs := map[string]bool{}
	out := gitOut(ts, dir, append([]string{"log", "--all", "--format=", "--raw", "--no-abbrev", "--"}, paths...)...)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 {
			for _, h := range f[2:4] {
				if strings.Trim(h, "0") != "" {
					objs[h] = true
				}
			}
		}
	}
	q := &ledger.Request{ID: id, Type: ledger.Erasure, Received: "2026-02-01", Due: "2026-03-01", Status: ledger.Done, Done: "2026-02-02", ErasedPaths: paths}
	p := strings.Split(paths[0], "/")
	q.Subject = p[1] + "/" + strings.TrimSuffix(p[len(p)-1], ".yaml")
	for h := range objs {
		q.ErasedObjects = append(q.ErasedObjects, h)
	}
	sort.Strings(q.ErasedObjects)
	if err := q.Save(dir); err != nil {
		ts.Fatalf("%v", err)
	}
	gitOut(ts, dir, append([]string{"rm", "-q", "--"}, paths...)...)
	gitOut(ts, dir, "add", ledger.Path(id))
	gitOut(ts, dir, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Erase "+q.Subject+"\n\nDossier-Request: "+id+"\nDossier-Action: erasure\nDossier-Subject: "+q.Subject)
}

// cmdPurgeFixture removes the requests' erased paths from all history with
// git filter-repo, then records the purge (old tips included) in their
// ledger entries and commits them.
//
//	purge-fixture ID...
func cmdPurgeFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: purge-fixture ID...")
	}
	dir := ts.MkAbs(".")
	tips := strings.Fields(gitOut(ts, dir, "for-each-ref", "--format=%(objectname)", "refs/heads"))
	fr := []string{"filter-repo", "--force", "--quiet", "--replace-refs", "delete-no-add", "--invert-paths"}
	var reqs []*ledger.Request
	for _, id := range args {
		q, err := ledger.Load(dir, id)
		if err != nil {
			ts.Fatalf("%v", err)
		}
		reqs = append(reqs, q)
		for _, p := range q.ErasedPaths {
			fr = append(fr, "--path", p)
		}
	}
	gitOut(ts, dir, fr...)
	for _, q := range reqs {
		q.Purged = &ledger.Purge{Date: "2026-02-03", Commits: 1, OldTips: tips}
		if err := q.Save(dir); err != nil {
			ts.Fatalf("%v", err)
		}
		gitOut(ts, dir, "add", ledger.Path(q.ID))
	}
	gitOut(ts, dir, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Record purge of "+strings.Join(args, ", "))
	gitOut(ts, dir, "reflog", "expire", "--expire=now", "--all")
	gitOut(ts, dir, "gc", "--prune=now", "--quiet")
}

// cmdObjectsAbsent fails if the repository GITDIR holds any object the
// ledger entries in LEDGERDIR list (erased objects and old tips); negated,
// it fails if none is there.
//
//	objects-absent GITDIR LEDGERDIR
func cmdObjectsAbsent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: objects-absent GITDIR LEDGERDIR")
	}
	gitDir, ldir := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	names, _ := filepath.Glob(filepath.Join(ldir, "DSR-*.yaml"))
	var ids []string
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			ts.Fatalf("%v", err)
		}
		q, err := ledger.Parse(data)
		if err != nil {
			ts.Fatalf("%v", err)
		}
		ids = append(ids, q.ErasedObjects...)
		if q.Purged != nil {
			ids = append(ids, q.Purged.OldTips...)
		}
	}
	if len(ids) == 0 {
		ts.Fatalf("no object ids in %s", ldir)
	}
	var present []string
	for _, id := range ids {
		if exec.Command("git", "--no-replace-objects", "--git-dir", gitDir, "cat-file", "-e", id).Run() == nil {
			present = append(present, id)
		}
	}
	switch {
	case !neg && len(present) > 0:
		ts.Fatalf("%s still holds %s", gitDir, strings.Join(present, ", "))
	case neg && len(present) == 0:
		ts.Fatalf("%s holds none of the ledger's objects", gitDir)
	}
}

// cmdCorruptObject flips one byte in the middle of an object's data in the
// pack that holds it, as a failing disk would, and sets $CORRUPTED to the
// object's id.
//
//	corrupt-object GITDIR REV
func cmdCorruptObject(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: corrupt-object GITDIR REV")
	}
	gitDir := ts.MkAbs(args[0])
	id := strings.TrimSpace(gitOut(ts, gitDir, "rev-parse", args[1]))
	ts.Setenv("CORRUPTED", id)
	idxs, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.idx"))
	for _, idx := range idxs {
		f, err := os.Open(idx)
		if err != nil {
			ts.Fatalf("%v", err)
		}
		cmd := exec.Command("git", "show-index")
		cmd.Stdin = f
		out, err := cmd.Output()
		f.Close()
		if err != nil {
			ts.Fatalf("git show-index: %v", err)
		}
		var offsets []int
		target := -1
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fl := strings.Fields(line)
			off, _ := strconv.Atoi(fl[0])
			offsets = append(offsets, off)
			if fl[1] == id {
				target = off
			}
		}
		if target < 0 {
			continue
		}
		pack := strings.TrimSuffix(idx, ".idx") + ".pack"
		data, err := os.ReadFile(pack)
		if err != nil {
			ts.Fatalf("%v", err)
		}
		end := len(data) - 20
		for _, o := range offsets {
			if o > target && o < end {
				end = o
			}
		}
		data[(target+end)/2+1] ^= 0x55
		if err := os.Chmod(pack, 0o644); err != nil {
			ts.Fatalf("%v", err)
		}
		if err := os.WriteFile(pack, data, 0o644); err != nil {
			ts.Fatalf("%v", err)
		}
		return
	}
	ts.Fatalf("object %s is in no pack of %s", id, gitDir)
}
