package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/editor"
	"github.com/vts/dossier/internal/safefile"
	"github.com/vts/dossier/internal/workspace"
)

func init() {
	register(&command{
		name:    "new",
		args:    "[--from FILE|-] KIND PATH",
		summary: "create an encrypted record (in $EDITOR, or from a plaintext file or stdin)",
		run:     runNew,
	})
	register(&command{
		name:    "edit",
		args:    "PATH",
		summary: "edit a record decrypted in $EDITOR; validated before it is encrypted again",
		run:     runEdit,
	})
}

func runNew(e *env, args []string) error {
	fs := flags(e, commands["new"])
	from := fs.String("from", "", "read the plaintext record from FILE (\"-\" for stdin) instead of opening $EDITOR")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError("usage: dossier new KIND PATH (e.g. dossier new user records/c-0001/users/u-0001.yaml)")
	}
	ws, err := workspace.Open(e.dir)
	if err != nil {
		return openErr(err)
	}
	kind := pos[0]
	if ws.Schemas.Kinds[kind] == nil {
		err := usageError("unknown kind %q; kinds: %s", kind, strings.Join(ws.Schemas.Names(), ", "))
		if s := suggest(kind, ws.Schemas.Names()); s != "" {
			err = withHint(err, fmt.Sprintf("did you mean %q?", s))
		}
		return err
	}
	p, err := ws.Rel(e.dir, pos[1])
	if err != nil {
		return refused("%v", err)
	}
	if p.Kind != kind {
		return refused("%s is where %s records live, not %s records", p.Rel, p.Kind, kind)
	}
	if _, err := os.Stat(ws.Abs(p.Rel)); err == nil {
		return refused("%s already exists; use \"dossier edit %s\"", p.Rel, p.Rel)
	}
	check := func(plain []byte) []string { return describe(ws.CheckPlain(p, plain)) }
	var plain []byte
	if *from != "" {
		if plain, err = readFrom(e, *from); err != nil {
			return err
		}
		if problems := check(plain); len(problems) > 0 {
			return refusedList(problems, "nothing was written")
		}
	} else {
		s := &editor.Session{Name: p.ID + ".yaml", Check: check, In: e.stdin, Out: e.stdout, Err: e.stderr}
		var changed bool
		plain, changed, err = s.Run(workspace.Template(ws.Schemas.Kinds[kind], p))
		if err != nil {
			return refused("%v", err)
		}
		if !changed {
			return refused("no record written: the template was not filled in")
		}
	}
	enc, err := ws.Encrypt(p.Rel, plain)
	if err != nil {
		return refused("%v", err)
	}
	unlock, err := lockRepo(e, "new")
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(ws.Abs(p.Rel)); err == nil {
		return refused("%s was created by someone else meanwhile; nothing was written (use \"dossier edit %s\")", p.Rel, p.Rel)
	}
	if err := safefile.Write(ws.Abs(p.Rel), enc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s (encrypted)\n", p.Rel)
	if *from != "" && *from != "-" {
		warnPlainInTree(e, ws.Root, *from)
	}
	return nil
}

// warnPlainInTree warns when the plaintext a record was made from lies
// inside the work tree: one "git add -A" away from being committed and
// pushed with every password in it. The .gitignore that init writes
// catches the usual names, not every name, so the file must go.
func warnPlainInTree(e *env, root, from string) {
	abs := from
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(e.dir, abs)
	}
	abs, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return
	}
	rootAbs, err := filepath.EvalSymlinks(root)
	if err != nil {
		return
	}
	rel, err := filepath.Rel(rootAbs, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	fmt.Fprintf(e.stderr, "warning: %s, the plaintext this record was made from, is inside the repository's work tree: delete it now (shred -u %s, or rm %s) so that it is never committed, and keep plaintext outside the repository (e.g. in a directory made by mktemp -d)\n", from, from, from)
}

func runEdit(e *env, args []string) error {
	fs := flags(e, commands["edit"])
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: dossier edit PATH")
	}
	ws, err := workspace.Open(e.dir)
	if err != nil {
		return openErr(err)
	}
	p, err := ws.Rel(e.dir, pos[0])
	if err != nil {
		return refused("%v", err)
	}
	before, err := os.ReadFile(ws.Abs(p.Rel))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := ws.Open(p.Rel)
	if err != nil {
		return refused("%v", err)
	}
	plain, err := f.Plain()
	if err != nil {
		return err
	}
	s := &editor.Session{
		Name:  p.ID + ".yaml",
		Check: func(b []byte) []string { return describe(ws.CheckPlain(p, b)) },
		In:    e.stdin, Out: e.stdout, Err: e.stderr,
	}
	edited, changed, err := s.Run(plain)
	if errors.Is(err, editor.ErrAborted) {
		return refused("%v", err)
	}
	if err != nil {
		return refused("%v", err)
	}
	if !changed && !f.NeedsRewrite() {
		fmt.Fprintf(e.stdout, "%s: no changes\n", p.Rel)
		return nil
	}
	if !changed {
		// Comments placed by hand, or dates that sops turned into
		// timestamps: writing the record back is the repair.
		if problems := describe(ws.CheckPlain(p, edited)); len(problems) > 0 {
			return refusedList(problems, "the record was not changed")
		}
	}
	enc, err := ws.Reencrypt(p.Rel, f, edited)
	if err != nil {
		return refused("%s: %v", p.Rel, err)
	}
	unlock, err := lockRepo(e, "edit")
	if err != nil {
		return err
	}
	defer unlock()
	if now, err := os.ReadFile(ws.Abs(p.Rel)); err != nil || !bytes.Equal(now, before) {
		return refused("%s changed on disk while it was open in the editor (another edit, a pull or a checkout); your edit was not saved: run \"dossier edit %s\" again", p.Rel, p.Rel)
	}
	if err := safefile.Write(ws.Abs(p.Rel), enc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "updated %s (encrypted)\n", p.Rel)
	return nil
}

func readFrom(e *env, from string) ([]byte, error) {
	if from == "-" {
		return io.ReadAll(e.stdin)
	}
	if !filepath.IsAbs(from) {
		from = filepath.Join(e.dir, from)
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return nil, refused("reading --from: %v", err)
	}
	return data, nil
}
