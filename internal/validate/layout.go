package validate

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/layout"
	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/record"
)

// dossierTop are the top-level names whose whole content the layout
// whitelist governs in a work tree.
var dossierTop = []string{record.Dir, "schema", "ledger", "hooks", layout.SopsConfig, layout.Settings}

// LayoutTree checks a work tree against the layout whitelist (and ledger
// files against the ledger's rules): every entry
// under records/, schema/, ledger/ and hooks/, the config files, and any
// top-level name that differs from one of those only by case. Other
// top-level files are left alone here: a work tree may hold a project
// around the records (the dossier source tree is one), and what is
// committed and pushed is held to the full whitelist by pre-commit and the
// server. Regular files under records/ are the record check's (it names
// a wrong path already).
func (c *Checker) LayoutTree(root string) ([]Finding, error) {
	var kinds layout.Kinds
	if c != nil {
		kinds = layout.Kinds{}
		for name := range c.Schemas.Kinds {
			kinds[name] = true
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []Finding
	add := func(rel string, t fs.FileMode) {
		if lf := layoutFinding(rel, t, kinds); lf != nil {
			out = append(out, lf...)
			return
		}
		if t.IsRegular() && strings.HasPrefix(rel, ledger.Dir+"/") {
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				out = append(out, Finding{File: rel, Check: "read", Message: "cannot be read: " + errText(err), Fix: "check the file"})
				return
			}
			out = append(out, c.CheckLedger(rel, data)...)
		}
	}
	for _, e := range entries {
		name := e.Name()
		if name == record.Dir && e.IsDir() {
			continue // RunTree walks it, and reports its odd entries
		}
		governed := false
		for _, n := range dossierTop {
			governed = governed || strings.EqualFold(name, n)
		}
		if !governed {
			continue
		}
		if !e.IsDir() {
			add(name, e.Type())
			continue
		}
		err := filepath.WalkDir(filepath.Join(root, name), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			add(filepath.ToSlash(rel), d.Type())
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	Sort(out)
	return out, nil
}

// CheckLedger validates a ledger file keylessly against the ledger's
// rules (ledger.Check), with the retention basis of kept records taken
// from the schema. Findings name the field, never the value.
func (c *Checker) CheckLedger(rel string, data []byte) []Finding {
	var basis func(string) (string, bool)
	if c != nil {
		basis = func(kind string) (string, bool) {
			k := c.Schemas.Kinds[kind]
			if k == nil || k.Retention == nil {
				return "", false
			}
			r := k.Retention
			return r.Basis + ": " + r.Law + " (" + r.Period.Text + " after " + r.After + ")", true
		}
	}
	var out []Finding
	for _, p := range ledger.Check(rel, data, basis) {
		out = append(out, Finding{File: rel, Field: p.Field, Check: "ledger", Message: p.Rule + " (value not shown)", Fix: "ledger files are written by dossier (requests, erase, purge) and hold ids, dates and object ids only; restore it from git"})
	}
	return out
}

// layoutFinding is the whitelist's finding on one work-tree entry, if
// any; a regular file under records/ is the record check's.
func layoutFinding(rel string, t fs.FileMode, kinds layout.Kinds) []Finding {
	e := layout.Regular
	switch {
	case t&fs.ModeSymlink != 0:
		e = layout.Symlink
	case !t.IsRegular():
		e = layout.Other
	}
	if e == layout.Regular && strings.HasPrefix(rel, record.Dir+"/") {
		return nil
	}
	if p := layout.Check(rel, e, kinds); p != nil {
		return []Finding{{File: p.Path, Check: "layout", Message: p.Rule, Fix: p.Fix}}
	}
	return nil
}
