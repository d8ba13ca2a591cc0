package main

import (
	"encoding/json"

	"github.com/vts/dossier/internal/workspace"
	"github.com/vts/dossier/internal/yamltree"
)

func init() {
	register(&command{
		name:    "show",
		args:    "[--format yaml|json] PATH|SUBJECT",
		summary: "print a record decrypted",
		run:     runShow,
	})
}

func runShow(e *env, args []string) error {
	fs := flags(e, commands["show"])
	format := fs.String("format", "yaml", "output format: yaml or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("show takes one record: its path, or a subject (c-0042 for the customer record, c-0042/u-0017 for a user)")
	}
	if *format != "yaml" && *format != "json" {
		return usageError("--format %q: use yaml or json", *format)
	}
	ws, err := workspace.Open(e.dir)
	if err != nil {
		return openErr(err)
	}
	p, err := recordArg(ws, e.dir, pos[0])
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
	if *format == "yaml" {
		_, err = e.stdout.Write(plain)
		return err
	}
	node, err := yamltree.Parse(plain)
	if err != nil {
		return err
	}
	v, err := yamltree.Value(node)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
