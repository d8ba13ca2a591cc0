package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/vts/dossier/internal/progress"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/report"
	"github.com/vts/dossier/internal/server"
	"github.com/vts/dossier/internal/validate"
)

func init() {
	register(&command{
		name:    "validate",
		args:    "[--keyless] [--format text|json|junit] [--range OLD..NEW | PATH...]",
		summary: "check records: schema, encryption, recipients, layout (all of records/ by default)",
		run:     runValidate,
	})
}

func runValidate(e *env, args []string) error {
	fs := flags(e, commands["validate"])
	keyless := fs.Bool("keyless", false, "use no private key (what the git server checks); otherwise also decrypt, check MACs and decrypted values")
	format := fs.String("format", "text", "output format: text, json or junit")
	rng := fs.String("range", "", "check only the records that differ between two commits, e.g. origin/main..HEAD (CI on a merge request)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if !slices.Contains(report.Formats, *format) {
		return usageError("--format %q: use text, json or junit", *format)
	}
	root, err := repo.Find(e.dir)
	if err != nil {
		return openErr(err)
	}
	// Validation allocates many small short-lived values per file and
	// keeps little; fewer collections buy throughput for a few MB of RSS.
	debug.SetGCPercent(400)
	checker, findings := validate.Setup(os.DirFS(root))
	res := validate.Result{Keyless: *keyless, Findings: findings}
	if checker != nil {
		if !*keyless {
			ids, err := loadIdentities()
			if err != nil {
				return err
			}
			if ids.Empty() {
				return refused("no age key found (looked in %s); set SOPS_AGE_KEY_FILE, or run with --keyless to check without decrypting", ids.Where)
			}
			checker.Identities = ids
		}
		if *rng != "" {
			if len(pos) > 0 {
				return usageError("--range and PATH arguments do not go together")
			}
			files, findings, err := server.ValidateRange(root, *rng, checker.Identities)
			if err != nil {
				return usageError("%v", err)
			}
			res.Files, res.Findings = files, findings
		} else if len(pos) == 0 {
			paths, err := checker.LayoutTree(root)
			if err != nil {
				return err
			}
			checker.Done = progress.New(progress.Terminal(e.stderr), "validate: records checked", 0)
			files, findings, err := checker.RunTree(root)
			checker.Done.Done()
			if err != nil {
				return err
			}
			res.Files = files
			res.Findings = append(res.Findings, paths...)
			res.Findings = append(res.Findings, findings...)
		} else {
			files, err := validateTargets(e.dir, root, pos)
			if err != nil {
				return err
			}
			res.Files = files
			res.Findings = append(res.Findings, checker.Run(files, validate.DirSource(root))...)
		}
	}
	if err := report.Write(e.stdout, *format, res); err != nil {
		return err
	}
	if len(res.Findings) > 0 {
		return silentFailure(exitFindings)
	}
	return nil
}

// validateTargets expands the PATH arguments (files or folders) into record
// paths relative to root.
func validateTargets(dir, root string, pos []string) ([]string, error) {
	var out []string
	for _, p := range pos {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, usageError("%s is outside the records repository", p)
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, usageError("%s: no such file or folder", filepath.ToSlash(rel))
		}
		if !info.IsDir() {
			out = append(out, filepath.ToSlash(rel))
			continue
		}
		err = filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				r, _ := filepath.Rel(root, q)
				out = append(out, filepath.ToSlash(r))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
