// Package report prints validation results for people (text) and for
// machines (JSON, and JUnit XML that CI systems show per file).
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"

	"github.com/vts/dossier/internal/validate"
)

// Formats are the accepted --format values.
var Formats = []string{"text", "json", "junit"}

// Write prints res in format.
func Write(w io.Writer, format string, res validate.Result) error {
	switch format {
	case "text":
		return text(w, res)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if res.Findings == nil {
			res.Findings = []validate.Finding{}
		}
		return enc.Encode(struct {
			OK       bool               `json:"ok"`
			Keyless  bool               `json:"keyless"`
			Checked  int                `json:"checked"`
			Findings []validate.Finding `json:"findings"`
		}{len(res.Findings) == 0, res.Keyless, len(res.Files), res.Findings})
	case "junit":
		return junit(w, res)
	}
	return fmt.Errorf("unknown format %q (use text, json or junit)", format)
}

func text(w io.Writer, res validate.Result) error {
	for _, f := range res.Findings {
		fmt.Fprintln(w, f.String())
	}
	mode := "with keys"
	if res.Keyless {
		mode = "keyless"
	}
	if len(res.Findings) == 0 {
		_, err := fmt.Fprintf(w, "ok: %d files valid (%s)\n", len(res.Files), mode)
		return err
	}
	_, err := fmt.Fprintf(w, "%d problems in %d files checked (%s)\n", len(res.Findings), len(res.Files), mode)
	return err
}

type testsuite struct {
	XMLName  xml.Name   `xml:"testsuite"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Cases    []testcase `xml:"testcase"`
}

type testcase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Failures  []failure `xml:"failure"`
}

type failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junit writes one test case per file (plus any file that has findings but
// was not in the list, such as schema files).
func junit(w io.Writer, res validate.Result) error {
	byFile := map[string][]validate.Finding{}
	for _, f := range res.Findings {
		byFile[f.File] = append(byFile[f.File], f)
	}
	suite := testsuite{Name: "dossier validate"}
	seen := map[string]bool{}
	add := func(file string) {
		if seen[file] {
			return
		}
		seen[file] = true
		tc := testcase{Name: file, Classname: "dossier.validate"}
		for _, f := range byFile[file] {
			tc.Failures = append(tc.Failures, failure{Message: f.Message, Type: f.Check, Text: f.String()})
		}
		if len(tc.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	for _, f := range res.Files {
		add(f)
	}
	for _, f := range res.Findings {
		add(f.File)
	}
	suite.Tests = len(suite.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
