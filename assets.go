// Package dossier carries the files that "dossier init" puts into a new
// records repository: the record schemas and the git hooks. The copies at
// the top of this source tree are the ones embedded, so what the project
// tests is what users get.
package dossier

import "embed"

// Assets holds schema/*.schema.yaml and hooks/*.
//
//go:embed schema/*.schema.yaml hooks/*
var Assets embed.FS
