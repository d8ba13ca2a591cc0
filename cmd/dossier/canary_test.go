package main

import (
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/vts/dossier/internal/validate/canary"
)

// valueCases are the corpus cases whose file is still a record (its
// grammar holds; a value is wrong, or a comment is there): show and edit
// open those and show the decrypted content to the key holder (that is
// what they are for, and "dossier edit" is the fix), so they are not run
// on them here. Every other command refuses each of them without the
// canary.
var valueCases = map[string]bool{
	"plaintext personal field":              true,
	"plain field value (enum)":              true,
	"plain field value (pattern)":           true,
	"plain field value (type)":              true,
	"plain field value (kind)":              true,
	"plain field value (id)":                true,
	"plain field value (customer)":          true,
	"unknown field named by the canary":     true,
	"unknown field in a list item":          true,
	"null in a personal field":              true,
	"document comment after a blank line":   true,
	"comment at the end":                    true,
	"comment after a blank line at the end": true,
	"inline comment":                        true,
	"comment in the sops block":             true,
}

// cmdCanaryRun puts every case of the canary corpus (internal/validate/
// canary), built from the valid user record REL, in REL's place, and runs
// on it: validate keyless and keyed, the pre-commit hook on it staged, a
// real push to the remote "origin" (whose pre-receive runs dossier), the
// merge driver with it as "ours", and (for a file that breaks the
// grammar) show, edit and the diff textconv. Each must exit non-zero, and no output may hold
// the canary. REL is restored afterwards.
//
//	canary-run REL
func cmdCanaryRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: canary-run REL")
	}
	rel := args[0]
	abs := ts.MkAbs(rel)
	orig, err := os.ReadFile(abs)
	ts.Check(err)
	cases, err := canary.Cases(string(orig))
	ts.Check(err)
	base := ts.MkAbs("canary-base.yaml")
	ts.Check(os.WriteFile(base, orig, 0o644))
	defer os.Remove(base)
	run := func(c canary.Case, what string, mustFail bool, name string, args ...string) {
		err := ts.Exec(name, args...)
		out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
		for _, part := range canary.Parts {
			if strings.Contains(out, part) {
				ts.Fatalf("%s: %s repeats the canary:\n%s", c.Name, what, out)
			}
		}
		if mustFail && err == nil {
			ts.Fatalf("%s: %s accepted it", c.Name, what)
		}
	}
	for _, c := range cases {
		ts.Check(os.WriteFile(abs, []byte(c.Doc), 0o644))
		run(c, "validate --keyless", true, "dossier", "validate", "--keyless", rel)
		if !strings.Contains(ts.ReadFile("stdout"), c.Want) {
			ts.Fatalf("%s: validate --keyless does not say %q:\n%s", c.Name, c.Want, ts.ReadFile("stdout"))
		}
		run(c, "validate (keyed)", true, "dossier", "validate", rel)
		if !valueCases[c.Name] {
			run(c, "show", true, "dossier", "show", rel)
			run(c, "edit", true, "dossier", "edit", rel)
		}
		// textconv never fails (a diff must stay readable); it shows a
		// line naming the rule instead of a version that breaks the grammar.
		if !valueCases[c.Name] {
			run(c, "hook textconv", false, "dossier", "hook", "textconv", rel)
			if !strings.Contains(ts.ReadFile("stdout"), "this version is not a valid record") {
				ts.Fatalf("%s: textconv shows it:\n%s", c.Name, ts.ReadFile("stdout"))
			}
		}
		run(c, "hook merge", !valueCases[c.Name], "dossier", "hook", "merge", base, rel, base, rel)
		ts.Check(os.WriteFile(abs, []byte(c.Doc), 0o644)) // the merge driver writes ours
		ts.Check(ts.Exec("git", "add", rel))
		run(c, "pre-commit", true, "dossier", "hook", "pre-commit")
		ts.Check(ts.Exec("git", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "c-0001: canary case"))
		run(c, "pre-receive (git push)", true, "git", "push", "-q", "origin", "HEAD:main")
		ts.Check(ts.Exec("git", "reset", "-q", "--hard", "HEAD~1"))
	}
	ts.Check(os.WriteFile(abs, orig, 0o644))
}
