package main

import (
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
	if err := safefile.Write(ws.Abs(p.Rel), enc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s (encrypted)\n", p.Rel)
	return nil
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
	if !changed {
		fmt.Fprintf(e.stdout, "%s: no changes\n", p.Rel)
		return nil
	}
	enc, err := workspace.Reencrypt(f, edited)
	if err != nil {
		return refused("%s: %v", p.Rel, err)
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
