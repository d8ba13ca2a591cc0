package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/request"
)

// cmdReqRecords creates the data-subject request fixture in the records
// repository that is the script's current directory: every plaintext file
// under testdata/req/records goes through "dossier new --from" (so the
// records are encrypted by dossier itself), then one commit made with the
// git binary. Customers may be named to create only theirs.
//
//	req-records [CUSTOMER...]
func cmdReqRecords(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: req-records [CUSTOMER...]")
	}
	src := filepath.Join(ts.Getenv("SRCROOT"), "cmd", "dossier", "testdata", "req")
	want := map[string]bool{}
	for _, c := range args {
		want[c] = true
	}
	var files []string
	err := filepath.Walk(filepath.Join(src, "records"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	ts.Check(err)
	sort.Strings(files)
	for _, f := range files {
		rel, err := filepath.Rel(src, f)
		ts.Check(err)
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		if len(want) > 0 && !want[parts[1]] {
			continue
		}
		kind := "customer"
		if len(parts) == 4 {
			kind = map[string]string{"users": "user", "contracts": "contract", "environment": "environment", "errors": "error", "maintenance": "maintenance"}[parts[2]]
		}
		ts.Check(ts.Exec("dossier", "new", "--from", f, kind, rel))
	}
	ts.Check(ts.Exec("git", "add", "-A"))
	ts.Check(ts.Exec("git", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "fixture records"))
}

// cmdReqErased checks a request's erased_objects against the git binary:
// they must be exactly the blob ids of every version of PATH (a file or a
// folder) in the history of every ref, as "git log --all" finds them, but
// those at HEAD: run right after the erasure, those are the minimised
// versions it kept.
//
//	req-erased ID PATH...
func cmdReqErased(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: req-erased ID PATH...")
	}
	root := ts.MkAbs(".")
	data, err := os.ReadFile(filepath.Join(root, "ledger", args[0]+".yaml"))
	ts.Check(err)
	req, err := ledger.Parse(data)
	ts.Check(err)
	cmd := exec.Command("git", append([]string{"log", "--all", "--root", "-m", "--raw", "--no-abbrev", "--format=", "--"}, args[1:]...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	ts.Check(err)
	want := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && strings.HasPrefix(f[0], ":") && strings.Trim(f[3], "0") != "" {
			want[f[3]] = true
		}
	}
	cmd = exec.Command("git", append([]string{"ls-tree", "-r", "HEAD", "--"}, args[1:]...)...)
	cmd.Dir = root
	out, err = cmd.Output()
	ts.Check(err)
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			delete(want, f[2])
		}
	}
	got := map[string]bool{}
	for _, h := range req.ErasedObjects {
		got[h] = true
	}
	for h := range want {
		if !got[h] {
			ts.Fatalf("%s: erased_objects misses %s, a version of %v in history", args[0], h, args[1:])
		}
	}
	for h := range got {
		if !want[h] {
			ts.Fatalf("%s: erased_objects lists %s, which is no version of %v", args[0], h, args[1:])
		}
	}
	ts.Logf("%s: %d erased objects, as git log finds them", args[0], len(got))
}

// cmdSubjectValid checks an export's subject.json against its documented
// JSON Schema (internal/request/subject.schema.json) with the same
// jsonschema library dossier validates records with, formats asserted.
//
//	subject-valid FILE
func cmdSubjectValid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: subject-valid FILE")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(request.SubjectSchema))
	ts.Check(err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	ts.Check(c.AddResource("subject.schema.json", doc))
	sch, err := c.Compile("subject.schema.json")
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if !json.Valid(data) {
		ts.Fatalf("%s is not JSON", args[0])
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	ts.Check(err)
	err = sch.Validate(v)
	switch {
	case err != nil && !neg:
		ts.Fatalf("%s does not match subject.schema.json: %v", args[0], err)
	case err == nil && neg:
		ts.Fatalf("%s matches subject.schema.json", args[0])
	}
}
