package validate

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/layout"
	"github.com/vts/dossier/internal/record"
)

// dossierTop are the top-level names whose whole content the layout
// whitelist governs in a work tree.
var dossierTop = []string{record.Dir, "schema", "ledger", "hooks", layout.SopsConfig, layout.Settings}

// LayoutTree checks a work tree against the layout whitelist: every entry
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
		e := layout.Regular
		switch {
		case t&fs.ModeSymlink != 0:
			e = layout.Symlink
		case !t.IsRegular():
			e = layout.Other
		}
		if e == layout.Regular && strings.HasPrefix(rel, record.Dir+"/") {
			return
		}
		if p := layout.Check(rel, e, kinds); p != nil {
			out = append(out, Finding{File: p.Path, Check: "layout", Message: p.Rule, Fix: p.Fix})
		}
	}
	for _, e := range entries {
		name := e.Name()
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
