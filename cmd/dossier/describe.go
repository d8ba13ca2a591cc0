package main

import (
	"strconv"
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

// count says "1 record" or "3 records".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
