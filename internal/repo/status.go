package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DirtyIn lists what makes the work tree unfit for a request commit: every
// tracked path with a staged or unstaged change, and untracked files under
// dirs. A request commit must contain exactly its own change, and a
// refusal or a rollback must not lose anyone's work.
//
// This runs the git binary: go-git's Worktree.Status hashes every file of
// the work tree, far too slow on a repository of tens of thousands of
// records, where git trusts its index's stat data.
//
// Only paths under scope count (every path when scope is empty). git then
// stats only the files in scope, so a request about one customer costs
// what that customer's files cost, not what the repository's do. With a
// scope, untracked files anywhere in it count (dirs is for the
// whole-repository case), and one git process reads the index instead of
// two.
//
// A scoped check first tries to prove the scope clean without git status
// (provablyClean): on a repository of 50,000 records git status spends
// its time parsing the whole index, whatever the scope.
func DirtyIn(root string, scope []string, dirs ...string) ([]string, error) {
	if len(scope) > 0 && provablyClean(root, scope) {
		return nil, nil
	}
	g := At(root)
	args := []string{"--no-optional-locks", "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=no"}
	if len(scope) > 0 {
		args[len(args)-1] = "--untracked-files=all"
		args = append(append(args, "--"), scope...)
		dirs = nil
	}
	tracked, err := g.Lines(args...)
	if err != nil {
		return nil, fmt.Errorf("checking the work tree: %w", err)
	}
	var out []string
	for _, l := range tracked {
		if len(l) > 3 {
			out = append(out, strings.TrimSpace(l[:2])+" "+l[3:])
		}
	}
	if len(dirs) > 0 {
		untracked, err := g.Lines(append([]string{"ls-files", "--others", "--exclude-standard", "-z", "--"}, dirs...)...)
		if err != nil {
			return nil, fmt.Errorf("checking the work tree: %w", err)
		}
		for _, l := range untracked {
			out = append(out, "?? "+l)
		}
	}
	return out, nil
}

// Operation is a git operation left unfinished in a git directory: the
// file git keeps while it runs, and what a person calls it.
type Operation struct {
	File string // relative to the git directory: MERGE_HEAD, rebase-merge, index.lock
	What string // "a merge", "a rebase"
}

// operations are the files git leaves in its directory while an operation
// waits for the person, in the order they are looked for. A commit made
// beside any of them would be mixed into that operation, or be lost by its
// abort; index.lock is another git command at work (or one that crashed).
var operations = []Operation{
	{"MERGE_HEAD", "a merge"},
	{"rebase-merge", "a rebase"},
	{"rebase-apply", "a rebase"},
	{"CHERRY_PICK_HEAD", "a cherry-pick"},
	{"REVERT_HEAD", "a revert"},
	{"BISECT_LOG", "a bisect"},
	{"index.lock", "another git command (it holds the index lock)"},
}

// InProgress returns the git operation in progress in the git directory
// gitDir, nil when there is none. It is the one in-progress check: request
// commits (through Unsettled) and purge both ask it. A file that cannot be
// looked at is an error, never "nothing in progress".
func InProgress(gitDir string) (*Operation, error) {
	for _, op := range operations {
		_, err := os.Lstat(filepath.Join(gitDir, op.File))
		if err == nil {
			return &op, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("looking for %s in progress: %w", op.What, err)
		}
	}
	return nil, nil
}

// Unsettled says why the branch is not a safe base for a request commit,
// or "" if it is: a merge, rebase, cherry-pick, revert or bisect in
// progress, or an upstream that has commits this branch lacks (a request
// commit made there would meet conflicts on push, after the subject was
// told it was done). It does not fetch: it compares with what was last
// fetched.
func Unsettled(root string) (string, error) {
	g := At(root)
	// One run answers both: the git directory, and HEAD's branch ("HEAD"
	// when it is detached).
	heads, err := g.Lines("rev-parse", "--absolute-git-dir", "--symbolic-full-name", "HEAD")
	if err != nil {
		return "", fmt.Errorf("reading HEAD: %w", err)
	}
	if len(heads) != 2 {
		return "", fmt.Errorf("reading HEAD: git rev-parse gave %d lines, want 2", len(heads))
	}
	op, err := InProgress(heads[0])
	if err != nil {
		return "", err
	}
	if op != nil {
		return fmt.Sprintf("%s is in progress (.git/%s); finish or abort it first", op.What, op.File), nil
	}
	branch := heads[1]
	if !strings.HasPrefix(branch, "refs/heads/") {
		return "", nil // detached: no branch, so no upstream to compare with
	}
	// Asked of the branch's config through for-each-ref rather than through
	// "@{upstream}", whose failure (no upstream) git reports with the same
	// exit code as every other failure.
	upstream, err := g.Lines("for-each-ref", "--format=%(upstream)", branch)
	if err != nil {
		return "", fmt.Errorf("reading the upstream of %s: %w", branch, err)
	}
	if len(upstream) == 0 {
		return "", nil // no upstream configured: nothing to compare with
	}
	refs, err := g.Refs(upstream[0])
	if err != nil {
		return "", err
	}
	var tip string
	for _, r := range refs {
		if r.Name == upstream[0] { // the pattern also matches refs below it
			tip = r.Target().String()
		}
	}
	if tip == "" {
		return "", nil // configured but never fetched: nothing to compare with
	}
	out, err := g.Run("rev-list", "--count", "HEAD.."+tip)
	if err != nil {
		return "", fmt.Errorf("comparing with %s: %w", upstream[0], err)
	}
	if n := strings.TrimSpace(string(out)); n != "0" {
		return "the branch is " + n + " commit(s) behind its upstream; pull (and resolve any conflict) first", nil
	}
	return "", nil
}
