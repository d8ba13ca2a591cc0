package repo

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
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
func DirtyIn(root string, scope []string, dirs ...string) ([]string, error) {
	args := []string{"--no-optional-locks", "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=no"}
	if len(scope) > 0 {
		args[len(args)-1] = "--untracked-files=all"
		args = append(append(args, "--"), scope...)
		dirs = nil
	}
	tracked, err := gitLines(root, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range tracked {
		if len(l) > 3 {
			out = append(out, strings.TrimSpace(l[:2])+" "+l[3:])
		}
	}
	if len(dirs) > 0 {
		untracked, err := gitLines(root, append([]string{"ls-files", "--others", "--exclude-standard", "-z", "--"}, dirs...)...)
		if err != nil {
			return nil, err
		}
		for _, l := range untracked {
			out = append(out, "?? "+l)
		}
	}
	return out, nil
}

func gitLines(root string, args ...string) ([]string, error) {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\x00") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// Unsettled says why the branch is not a safe base for a request commit,
// or "" if it is: a merge, rebase, cherry-pick or revert in progress, or
// an upstream that has commits this branch lacks (a request commit made
// there would meet conflicts on push, after the subject was told it was
// done). It does not fetch: it compares with what was last fetched.
func Unsettled(root string) (string, error) {
	gitDir, err := gitLines(root, "rev-parse", "--absolute-git-dir")
	if err != nil || len(gitDir) == 0 {
		return "", err
	}
	dir := strings.TrimSpace(gitDir[0])
	for name, what := range map[string]string{
		"MERGE_HEAD": "a merge", "rebase-merge": "a rebase", "rebase-apply": "a rebase",
		"CHERRY_PICK_HEAD": "a cherry-pick", "REVERT_HEAD": "a revert",
	} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return what + " is in progress; finish or abort it first", nil
		}
	}
	cmd := exec.Command("git", "-C", root, "rev-list", "--count", "HEAD..@{upstream}")
	out, err := cmd.Output()
	if err != nil {
		return "", nil // no upstream configured: nothing to compare with
	}
	if n := strings.TrimSpace(string(out)); n != "0" {
		return "the branch is " + n + " commit(s) behind its upstream; pull (and resolve any conflict) first", nil
	}
	return "", nil
}
