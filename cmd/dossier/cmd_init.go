package main

import (
	"fmt"
	"path/filepath"

	"github.com/vts/dossier/internal/workspace"
)

func init() {
	register(&command{
		name:    "init",
		args:    "[DIR]",
		summary: "create a records repository: git, schema, hooks, .sops.yaml, dossier.yaml (and an age key if you have none)",
		run:     runInit,
	})
}

func runInit(e *env, args []string) error {
	fs := flags(e, commands["init"])
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("init takes at most one directory")
	}
	dir := e.dir
	if len(pos) == 1 {
		dir = pos[0]
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(e.dir, dir)
		}
	}
	res, err := workspace.Create(dir)
	if err != nil {
		return refused("%v", err)
	}
	if res.KeyFile != "" {
		fmt.Fprintf(e.stdout, "created an age key in %s (0600): keep it private and back it up offline\n", res.KeyFile)
	}
	fmt.Fprintf(e.stdout, "created records repository %s\nrecords are encrypted to %s\n", res.Root, res.Recipient)
	fmt.Fprintf(e.stdout, "next: dossier new customer records/c-0001/customer.yaml\n")
	return nil
}
