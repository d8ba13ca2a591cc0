package purge

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/vts/dossier/internal/repo/odb"
)

// TestWideTreesMatchFilterRepo drives the rewrite of wide trees (records/
// with one entry per customer, over bigTree bytes, rewritten against the
// previous version at the same path) through a history whose commits
// change entries at the start, the middle and the end of records/, add and
// delete customers, and bring erased blobs at several paths, on two
// branches joined by a merge. Every rewritten commit's tree must be the
// tree git filter-repo --strip-blobs-with-ids makes from the same history:
// equal root tree ids mean every tree below is equal too.
func TestWideTreesMatchFilterRepo(t *testing.T) {
	for _, tool := range []string{"git", "git-filter-repo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps installs it)", tool)
		}
	}
	dir := t.TempDir()
	live := filepath.Join(dir, "live")
	git := func(dir string, stdin []byte, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(live, 0o755); err != nil {
		t.Fatal(err)
	}
	git(live, nil, "init", "-q", "-b", "main")
	git(live, history(400), "fast-import", "--quiet")

	// What the erasure lists: every version of the users' files that held
	// personal data. "keep 3" is another user's file and stays.
	erased := map[plumbing.Hash]bool{}
	var ids []string
	for _, s := range []string{"secret 1", "secret 2", "secret 200", "secret 399", "secret 400", "secret 150", "secret 399 v2"} {
		h := odb.HashObject(plumbing.BlobObject, []byte(s+"\n"))
		erased[h] = true
		ids = append(ids, h.String())
	}

	// git filter-repo on a clone of the same history.
	peer := filepath.Join(dir, "peer")
	git(dir, nil, "clone", "-q", "--no-local", "--mirror", live, peer)
	idFile := filepath.Join(dir, "erased-ids")
	if err := os.WriteFile(idFile, []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	git(peer, nil, "filter-repo", "--quiet", "--force", "--strip-blobs-with-ids", idFile)
	commitMap, err := os.ReadFile(filepath.Join(peer, "filter-repo", "commit-map"))
	if err != nil {
		t.Fatal(err)
	}

	// The rewriter on the live repository.
	gitDir := filepath.Join(live, ".git")
	st := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(), filesystem.Options{ExclusiveAccess: true, KeepDescriptors: true})
	defer func() { _ = st.Close() }()
	pack, err := odb.NewPackWriter(gitDir)
	if err != nil {
		t.Fatal(err)
	}
	rw := newRewriter(st, erased, pack)
	for _, branch := range []string{"main", "side"} {
		tip := plumbing.NewHash(git(live, nil, "rev-parse", branch))
		if _, err := rw.commit(tip); err != nil {
			t.Fatal(pack.Abort(err))
		}
	}
	if _, err := pack.Close(); err != nil {
		t.Fatal(err)
	}
	if rw.prev["records"] == nil || len(rw.prev["records"].raw) < bigTree {
		t.Fatalf("records/ was not rewritten as a wide tree (over %d bytes): the test no longer drives that path", bigTree)
	}

	compared := 0
	for _, line := range strings.Split(strings.TrimSpace(string(commitMap)), "\n")[1:] {
		oldID, newID, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("commit-map line %q", line)
		}
		res, ok := rw.commits[plumbing.NewHash(oldID)]
		if !ok {
			t.Fatalf("commit %s was not rewritten by dossier", oldID)
		}
		if strings.Trim(newID, "0") == "" {
			t.Fatalf("filter-repo dropped %s: the history must not make empty commits, or the comparison would be of different commits", oldID)
		}
		want := git(peer, nil, "rev-parse", newID+"^{tree}")
		if res.tree.String() != want {
			t.Errorf("commit %s: dossier's tree %s, filter-repo's %s\n--- dossier\n%s\n--- filter-repo\n%s", oldID, res.tree, want,
				git(live, nil, "ls-tree", "-r", res.tree.String()), git(peer, nil, "ls-tree", "-r", want))
			continue
		}
		// The rewritten trees are in the live repository's new pack.
		listing := git(live, nil, "ls-tree", "-r", "-t", res.tree.String())
		for _, id := range ids {
			if strings.Contains(listing, id) {
				t.Errorf("commit %s: rewritten tree still holds erased blob %s", oldID, id)
			}
		}
		compared++
	}
	if compared < 8 {
		t.Fatalf("compared %d commits, want every commit of the history (8)", compared)
	}
}

// history is a git fast-import stream: n customers in records/ (a wide
// tree), then commits that change it at its start, middle and end, add and
// delete customers and bring personal data in users' files, on main and a
// side branch merged back. No commit consists only of erased files, so
// neither tool drops one.
func history(n int) []byte {
	var b bytes.Buffer
	mark := 0
	commit := func(branch, msg string, from string, merge string, changes ...string) string {
		mark++
		fmt.Fprintf(&b, "commit refs/heads/%s\nmark :%d\ncommitter t <t@example.invalid> %d +0000\ndata %d\n%s\n", branch, mark, 1700000000+mark*60, len(msg), msg)
		if from != "" {
			fmt.Fprintf(&b, "from %s\n", from)
		}
		if merge != "" {
			fmt.Fprintf(&b, "merge %s\n", merge)
		}
		for _, c := range changes {
			b.WriteString(c)
		}
		b.WriteString("\n")
		return fmt.Sprintf(":%d", mark)
	}
	file := func(path, content string) string {
		content += "\n"
		return fmt.Sprintf("M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	customer := func(i int, v string) string {
		return file(fmt.Sprintf("records/c-%04d/customer.yaml", i), fmt.Sprintf("customer %d %s", i, v))
	}
	user := func(i, u int, content string) string {
		return file(fmt.Sprintf("records/c-%04d/users/u-%04d.yaml", i, u), content)
	}
	var first []string
	for i := 1; i <= n; i++ {
		first = append(first, customer(i, "v1"))
	}
	for _, i := range []int{1, 2, 200, n - 1, n} {
		first = append(first, user(i, 1, fmt.Sprintf("secret %d", i)))
	}
	first = append(first, user(3, 1, "keep 3"))
	commit("main", "all customers", "", "", first...)
	commit("main", "middle changed, one customer added at the end", "", "",
		customer(200, "v2"), customer(n+1, "v1"))
	c3 := commit("main", "first changed, personal data in the middle", "", "",
		customer(1, "v2"), user(150, 2, "secret 150"))
	commit("main", "a customer deleted, the last changed", "", "",
		"D records/c-0002\n", customer(n, "v2"))
	commit("main", "a user's record changed, another customer", "", "",
		user(n-1, 1, fmt.Sprintf("secret %d v2", n-1)), customer(100, "v2"))
	side := commit("side", "side branch: an erased blob at another path", c3, "",
		customer(300, "v2"), user(300, 1, "secret 1"))
	commit("main", "merge side", "", side,
		customer(300, "v2"), user(300, 1, "secret 1"))
	commit("main", "after the merge", "", "", customer(250, "v2"))
	return b.Bytes()
}
