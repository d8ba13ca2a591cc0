package main

import (
	"strings"

	"github.com/vts/dossier/internal/validate"
)

func describe(fs []validate.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

// refusedList is a refusal listing several problems, one per line.
func refusedList(problems []string, outcome string) error {
	return refused("%s\n%s", strings.Join(problems, "\n"), outcome)
}
