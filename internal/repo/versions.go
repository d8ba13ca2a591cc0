package repo

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// Versions finds every version of the files at or under paths (a file, or
// a folder such as records/c-0042) in the history of every ref (branches,
// tags, remote-tracking refs, the stash) and of a detached HEAD. It
// returns, per file path, the blob ids of its versions, sorted.
//
// git does the walk, in one run of git log limited to paths, from every
// ref and HEAD (--all: git's own list of refs, loose, packed and per
// worktree, and a detached HEAD). It compares tree ids along the paths,
// so an unchanged folder is skipped without being read and the cost
// follows the number of commits and the size of
// the subject's folders, not the width of the repository. For each commit
// that changes something under paths it prints the files changed against
// each parent (a root commit against the empty tree). Every version of a
// file is in the commit that made it, and that commit differs from all
// its parents at that path, so it is printed: with --full-history no side
// branch is pruned, even one whose change was undone before it was merged.
// (git log, unlike diff-tree, does not read the index: 5 MB at 2,000
// customers.)
func Versions(root string, paths []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(paths) == 0 {
		return out, nil
	}
	want := map[string]bool{}
	for _, p := range paths {
		// git log reads its paths one a line.
		if p = strings.TrimSuffix(p, "/"); p == "" || strings.ContainsAny(p, "\n\x00") {
			return nil, fmt.Errorf("path %q: not a path git can be asked about", p)
		}
		want[p] = true
	}
	// Literal paths: a name is never read as a pathspec's magic or glob.
	g := At(root).WithEnv("GIT_LITERAL_PATHSPECS=1")
	var in bytes.Buffer
	in.WriteString("--\n")
	for _, p := range pathspec(want) {
		in.WriteString(p + "\n")
	}
	// log is porcelain: the settings that would change what it lists or
	// how (following renames, signatures, colour) are turned off here.
	raw, err := g.RunInput(&in, "-c", "log.follow=false", "-c", "log.showSignature=false", "-c", "color.ui=false",
		"log", "--all", "--stdin", "--full-history", "--diff-merges=separate", "--root", "--raw", "-r", "--no-renames",
		"--no-relative", "--no-abbrev", "-z", "--format="+commitMark)
	if err != nil {
		return nil, fmt.Errorf("listing the versions of %d path(s) in history: %w", len(want), err)
	}
	found, err := parseRawChanges(raw, want)
	if err != nil {
		return nil, err
	}
	for p, set := range found {
		for h := range set {
			out[p] = append(out[p], h)
		}
		sort.Strings(out[p])
	}
	return out, nil
}

// manyPaths is the number of paths from which git log is given their top
// folders instead: git matches every path against every entry of every
// tree it reads, so a retention run over thousands of records would cost
// paths × entries per commit; with top folders git lists every change
// under them once and the filter on want picks the paths.
const manyPaths = 64

// pathspec is what git log is limited to for want.
func pathspec(want map[string]bool) []string {
	var out []string
	if len(want) <= manyPaths {
		for p := range want {
			out = append(out, p)
		}
		return out
	}
	top := map[string]bool{}
	for p := range want {
		t, _, _ := strings.Cut(p, "/")
		if !top[t] {
			top[t] = true
			out = append(out, t)
		}
	}
	return out
}

// commitMark is what git log prints for each commit: only the raw
// changes matter, and a mark cannot be taken for one.
const commitMark = "%x01"

// parseRawChanges reads git log's "-z --raw" output (per commit its mark
// and NUL, then per change a newline or nothing, ":<old mode> <new mode>
// <old id> <new id> <status>" NUL <path> NUL) and
// returns the new blob ids per path at or under one of paths. A removed
// file (new mode 000000) adds nothing, nor does a submodule's commit
// (160000): neither is a version of ours.
func parseRawChanges(raw []byte, paths map[string]bool) (map[string]map[string]bool, error) {
	found := map[string]map[string]bool{}
	for len(bytes.TrimLeft(raw, "\n")) > 0 {
		head, rest, ok := bytes.Cut(bytes.TrimLeft(raw, "\n"), []byte{0})
		if !ok {
			return nil, fmt.Errorf("git log: output cut short")
		}
		if string(head) == "\x01" {
			raw = rest
			continue // a commit's mark
		}
		path, rest, ok := bytes.Cut(rest, []byte{0})
		if !ok {
			return nil, fmt.Errorf("git log: output cut short")
		}
		raw = rest
		f := strings.Fields(string(head))
		if len(f) != 5 || !strings.HasPrefix(f[0], ":") {
			return nil, fmt.Errorf("git log: unexpected line %q", string(head))
		}
		mode, id := f[1], f[3]
		if mode == "000000" || mode == "160000" {
			continue
		}
		p := string(path)
		if !under(p, paths) {
			continue
		}
		if found[p] == nil {
			found[p] = map[string]bool{}
		}
		found[p][id] = true
	}
	return found, nil
}

// under says whether p is one of paths or in a folder among them: a
// look-up per folder on p's way, so a retention run over thousands of
// paths stays linear.
func under(p string, paths map[string]bool) bool {
	for {
		if paths[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}
