package server

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestRewrote checks post-receive's test for "history was rewritten" on a
// real repository: a fast-forward and a creation are not, a non-fast-
// forward, a deletion and a moved annotated tag are; what git cannot
// answer is an error.
func TestRewrote(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "a")
	a := plumbing.NewHash(git("rev-parse", "HEAD"))
	git("commit", "-q", "--allow-empty", "-m", "b")
	b := plumbing.NewHash(git("rev-parse", "HEAD"))
	git("tag", "-a", "-m", "t1", "t1", a.String())
	t1 := plumbing.NewHash(git("rev-parse", "t1"))
	git("checkout", "-q", "--orphan", "other")
	git("commit", "-q", "--allow-empty", "-m", "c")
	c := plumbing.NewHash(git("rev-parse", "HEAD"))
	git("tag", "-a", "-m", "t2", "t2", c.String())
	t2 := plumbing.NewHash(git("rev-parse", "t2"))
	tree := git("rev-parse", "HEAD^{tree}")
	git("tag", "-a", "-m", "t3", "t3", tree)
	t3 := plumbing.NewHash(git("rev-parse", "t3"))
	gitDir := dir + "/.git"
	zero := plumbing.ZeroHash
	for _, tc := range []struct {
		name string
		u    Update
		want bool
	}{
		{"fast-forward", Update{Old: a, New: b, Ref: "refs/heads/main"}, false},
		{"creation", Update{Old: zero, New: b, Ref: "refs/heads/new"}, false},
		{"non-fast-forward", Update{Old: b, New: a, Ref: "refs/heads/main"}, true},
		{"unrelated history", Update{Old: b, New: c, Ref: "refs/heads/main"}, true},
		{"deletion", Update{Old: a, New: zero, Ref: "refs/heads/main"}, true},
		{"tag moved to a rewritten commit", Update{Old: t1, New: t2, Ref: "refs/tags/t1"}, true},
	} {
		got, err := Rewrote(gitDir, []Update{tc.u})
		if err != nil || got != tc.want {
			t.Errorf("%s: Rewrote = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// What git cannot place in history is an error, never taken as "not
	// rewritten" (a missed forget) or quietly as "rewritten".
	for _, tc := range []struct {
		name string
		u    Update
	}{
		{"a moved tag of a tree", Update{Old: t3, New: b, Ref: "refs/tags/t3"}},
		{"a missing object", Update{Old: plumbing.NewHash("1234567890123456789012345678901234567890"), New: b, Ref: "refs/heads/main"}},
	} {
		if got, err := Rewrote(gitDir, []Update{tc.u}); err == nil {
			t.Errorf("%s: Rewrote = %v, want an error", tc.name, got)
		}
	}
}
