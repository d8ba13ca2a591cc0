package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/githook"
	"github.com/vts/dossier/internal/merge"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/safefile"
	"github.com/vts/dossier/internal/server"
	"github.com/vts/dossier/internal/sopsfile"
	"github.com/vts/dossier/internal/validate"
)

func init() {
	register(&command{
		name:    "hook",
		args:    "install | pre-commit | commit-msg FILE | pre-receive | post-receive | textconv FILE | merge BASE OURS THEIRS PATH",
		summary: "what git runs: hooks, the diff textconv and the merge driver (\"hook install\" wires them up)",
		run:     runHook,
	})
}

var hookRuns = map[string]func(e *env, args []string) error{
	"install":     hookInstall,
	"pre-commit":  hookPreCommit,
	"commit-msg":  hookCommitMsg,
	"pre-receive": hookPreReceive,
	"textconv":    hookTextconv,
	"merge":       hookMerge,
}

func runHook(e *env, args []string) error {
	fs := flags(e, commands["hook"])
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageError("hook needs a subcommand")
	}
	run, ok := hookRuns[pos[0]]
	if !ok {
		return usageError("unknown hook %q: use install, pre-commit, commit-msg, pre-receive, post-receive, textconv or merge", pos[0])
	}
	return run(e, pos[1:])
}

func hookInstall(e *env, args []string) error {
	if len(args) != 0 {
		return usageError("usage: dossier hook install")
	}
	root, err := repo.Find(e.dir)
	if err != nil {
		return openErr(err)
	}
	r, err := repo.Open(root)
	if err != nil {
		return refused("%s: not a git repository: %v", root, err)
	}
	if err := githook.Install(r.Git); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "git hooks (core.hooksPath=hooks), diff textconv and merge driver for records installed in %s\n", root)
	return nil
}

func hookPreCommit(e *env, args []string) error {
	if len(args) != 0 {
		return usageError("usage: dossier hook pre-commit")
	}
	root, err := repo.Find(e.dir)
	if err != nil {
		return openErr(err)
	}
	checked, findings, err := githook.PreCommit(root)
	if err != nil {
		return err
	}
	if len(findings) == 0 {
		return nil
	}
	for _, f := range findings {
		fmt.Fprintln(e.stderr, f.String())
	}
	return refused("commit refused: %d problems in %d staged records (nothing was committed; fix them, \"git add\" and commit again)", len(findings), checked)
}

func hookCommitMsg(e *env, args []string) error {
	if len(args) != 1 {
		return usageError("usage: dossier hook commit-msg MESSAGE-FILE")
	}
	root, err := repo.Find(e.dir)
	if err != nil {
		return openErr(err)
	}
	file := args[0]
	if !filepath.IsAbs(file) {
		file = filepath.Join(e.dir, file)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return usageError("reading the commit message: %v", err)
	}
	var values []githook.Value
	ids, err := loadIdentities()
	if err != nil {
		return err
	}
	if !ids.Empty() {
		if checker, _ := validate.Setup(os.DirFS(root)); checker != nil {
			if values, err = githook.TouchedValues(root, checker.Schemas, ids); err != nil {
				return err
			}
		}
	}
	problems := githook.CheckMessage(githook.ParseMessage(string(text)), values)
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(e.stderr, "commit message: "+p)
	}
	return refused("commit refused: the message must name records by id only (your message is kept in .git/COMMIT_EDITMSG)")
}

func hookPreReceive(e *env, args []string) error {
	if len(args) != 0 {
		return usageError("usage: dossier hook pre-receive (reads \"<old> <new> <ref>\" lines on stdin)")
	}
	updates, err := server.ParseUpdates(e.stdin)
	if err != nil {
		return err
	}
	res, err := server.PreReceive(server.ServerDir(e.dir), updates)
	if err != nil {
		return err
	}
	if res.Bootstrap {
		fmt.Fprintln(e.stderr, "dossier: bootstrap: the server has no main yet, so this push is checked against its own schema, .sops.yaml and dossier.yaml; every later push is checked against the server's main")
	}
	for _, n := range res.Notices {
		fmt.Fprintf(e.stderr, "dossier: notice: %s\n", n)
	}
	if len(res.Problems) == 0 {
		fmt.Fprintf(e.stderr, "dossier: push accepted: %d record versions checked\n", res.Checked)
		return nil
	}
	byRef := map[string]int{}
	for _, p := range res.Problems {
		byRef[server.ShownRef(p.Ref)]++
		fmt.Fprintf(e.stderr, "dossier: %s\n", p)
	}
	var refs []string
	for r, n := range byRef {
		refs = append(refs, fmt.Sprintf("%s (%d problems)", r, n))
	}
	sort.Strings(refs)
	return refused("push refused: %s; nothing on the server changed. Every pushed commit is checked: fix the commits that bring these files (\"git commit --amend\" or \"git rebase -i\"), then push again", strings.Join(refs, ", "))
}

func hookTextconv(e *env, args []string) error {
	if len(args) != 1 {
		return usageError("usage: dossier hook textconv FILE")
	}
	file := args[0]
	if !filepath.IsAbs(file) {
		file = filepath.Join(e.dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError("textconv: %v", err)
	}
	_, err = e.stdout.Write(githook.Textconv(e.dir, data, sopsfile.LoadIdentities))
	return err
}

// hookMerge is git's merge driver: "dossier hook merge %O %A %B %P". It
// writes the result to %A; exit 1 tells git the file has a conflict.
func hookMerge(e *env, args []string) error {
	if len(args) != 4 {
		return usageError("usage: dossier hook merge BASE OURS THEIRS PATH (git's %%O %%A %%B %%P)")
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(e.dir, p)
	}
	base, ours, theirs, name := abs(args[0]), abs(args[1]), abs(args[2]), args[3]
	read := func(p string) ([]byte, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, usageError("merge driver: %v", err)
		}
		return data, nil
	}
	b, err := read(base)
	if err != nil {
		return err
	}
	o, err := read(ours)
	if err != nil {
		return err
	}
	t, err := read(theirs)
	if err != nil {
		return err
	}
	if err := mergeGrammar(e.dir, name, b, o, t); err != nil {
		return err
	}
	ids, _ := sopsfile.LoadIdentities()
	res, err := merge.Files(b, o, t, ids)
	if err != nil {
		why := "no key of yours opens it"
		if !errors.Is(err, merge.ErrNoKey) {
			// sops' and yaml's messages quote what they could not read.
			why = "a version cannot be read as a record"
		}
		fmt.Fprintf(e.stderr, "dossier: %s: cannot merge field by field (%s); falling back to git's line merge\n", name, why)
		conflict, err := merge.GitMergeFile(e.dir, base, ours, theirs, name)
		if err != nil {
			return err
		}
		if conflict {
			return refused("%s: conflict; resolve it with a key: \"git checkout --ours %s\" then \"dossier edit %s\"", name, name, name)
		}
		return nil
	}
	if len(res.Conflicts) > 0 {
		return refused("%s: both branches changed field(s) %s differently; your version was kept in the file: run \"dossier edit %s\" to take the other branch's change where needed (\"git show --textconv MERGE_HEAD:%s\" shows theirs decrypted), then \"git add %s\"",
			name, strings.Join(res.Conflicts, ", "), name, name, name)
	}
	return safefile.Write(ours, res.Merged, 0o644)
}

// mergeGrammar refuses to merge when a version of the record at name is
// not a record at all (validate.Finding.BreaksGrammar): neither the field
// merge nor git's line merge should carry such a file forward, and sops'
// messages about it would repeat what it holds. The refusal (exit 1) is a
// conflict to git; the finding names version, line and rule, never a value.
func mergeGrammar(dir, name string, versions ...[]byte) error {
	root, err := repo.Find(dir)
	if err != nil {
		return nil // not in a records repository: nothing to check against
	}
	checker, _ := validate.Setup(os.DirFS(root))
	if checker == nil {
		return nil
	}
	for i, data := range versions {
		for _, f := range checker.Check(name, data) {
			if f.BreaksGrammar() {
				return refused("%s: the %s version is not a valid record, so it is not merged: %s", name, []string{"base", "our", "their"}[i], f)
			}
		}
	}
	return nil
}
