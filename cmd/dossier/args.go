package main

import (
	"os"
	"path/filepath"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/workspace"
)

// recordArg reads an argument naming one record: its path, or a subject
// (c-0042 names its customer.yaml, c-0042/u-0017 the user's record). A
// file of that name in the working directory wins over the subject.
func recordArg(ws *workspace.Workspace, dir, arg string) (record.Path, error) {
	if sub, err := record.ParseSubject(arg); err == nil && !isFile(dir, arg) {
		kind, id := "customer", sub.Customer
		if sub.User != "" {
			kind, id = "user", sub.User
		}
		return record.Parse(record.For(sub.Customer, kind, id))
	}
	return ws.Rel(dir, arg)
}

// subjectArg reads an argument naming a data subject: c-0042 or
// c-0042/u-0017, or the path of that customer's or user's record.
func subjectArg(ws *workspace.Workspace, dir, arg string) (string, error) {
	if _, err := record.ParseSubject(arg); err == nil {
		return arg, nil
	}
	p, err := ws.Rel(dir, arg)
	if err != nil {
		return "", withHint(usageError("%v", err), "name the subject as a customer (c-0042), a user (c-0042/u-0017) or the path of their record")
	}
	switch p.Kind {
	case "customer":
		return p.Customer, nil
	case "user":
		return p.Customer + "/" + p.ID, nil
	}
	return "", usageError("%s is a %s record, not a data subject: name the customer (%s) or one of its users (%s/u-0017)", p.Rel, p.Kind, p.Customer, p.Customer)
}

func isFile(dir, p string) bool {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
