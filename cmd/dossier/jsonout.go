package main

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/vts/dossier/internal/backup"
	"github.com/vts/dossier/internal/proof"
	"github.com/vts/dossier/internal/request"
)

// The --format json outputs of the commands a monitoring job or a script
// reads. Each is one object with a format_version, built here from the
// operation's result so that a change inside an operation package does
// not change what scripts read. Every value is an id, a path of opaque
// ids, a date or a count: never a record's value.
const jsonVersion = 1

// formatFlag checks a --format value against the formats a command has.
func formatFlag(value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageError("--format %q: use %s", value, strings.Join(allowed, " or "))
}

// encodeJSON writes v as indented JSON, without HTML escaping (a report
// for a script, not for a web page).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

type keptJSON struct {
	Path    string `json:"path"`
	Basis   string `json:"basis"`
	Until   string `json:"until"`
	Running bool   `json:"running"`
}

type erasedJSON struct {
	FormatVersion int        `json:"format_version"`
	DryRun        bool       `json:"dry_run"`
	Request       string     `json:"request"`
	Subject       string     `json:"subject"`
	Commit        string     `json:"commit"` // "" on a dry run
	Removed       []string   `json:"removed"`
	Cleared       []string   `json:"cleared"`
	Kept          []keptJSON `json:"kept"`
	ErasedObjects int        `json:"erased_objects"`
}

func erasedOut(subject string, res *request.Erased) erasedJSON {
	out := erasedJSON{FormatVersion: jsonVersion, DryRun: res.Commit == "", Request: res.Request.ID, Subject: subject, Commit: res.Commit,
		Removed: nonNil(res.Removed), Cleared: nonNil(res.Cleared), Kept: []keptJSON{}, ErasedObjects: len(res.Request.ErasedObjects)}
	for _, k := range res.Kept {
		out.Kept = append(out.Kept, keptJSON{Path: k.Path, Basis: k.Basis, Until: k.Until, Running: k.Running})
	}
	return out
}

type exportedJSON struct {
	FormatVersion   int      `json:"format_version"`
	Request         string   `json:"request"`
	Subject         string   `json:"subject"`
	Dir             string   `json:"dir"`
	Files           []string `json:"files"`
	Records         int      `json:"records"`
	Withheld        int      `json:"secrets_withheld"`
	SecretsIncluded bool     `json:"secrets_included"`
	Commit          string   `json:"commit"`
	Closed          bool     `json:"closed"`
	Redacted        int      `json:"redacted"`
	// Review lists what may be other people's data (GDPR art. 15(4)) for
	// the officer to look at before handing the copy over.
	Review []request.Review `json:"review"`
}

func exportedOut(subject string, secrets bool, res *request.Exported) exportedJSON {
	return exportedJSON{FormatVersion: jsonVersion, Request: res.Request.ID, Subject: subject, Dir: res.Dir, Files: nonNil(res.Files),
		Records: res.Records, Withheld: res.Withheld, SecretsIncluded: secrets, Commit: res.Commit,
		Closed: res.Closed, Redacted: res.Redacted, Review: nonNilReview(res.Review)}
}

func nonNilReview(r []request.Review) []request.Review {
	if r == nil {
		return []request.Review{}
	}
	return r
}

type pathHitJSON struct {
	Path   string `json:"path"`
	Commit string `json:"commit"`
}

type storeJSON struct {
	Name      string        `json:"name"`
	GitDir    string        `json:"git_dir"`
	Pass      bool          `json:"pass"`
	Packs     int           `json:"packs"`
	Loose     int           `json:"loose_objects"`
	Refs      int           `json:"refs"`
	Commits   int           `json:"commits"`
	Survivors []string      `json:"surviving_objects"`
	PathHits  []pathHitJSON `json:"surviving_paths"`
}

type proofJSON struct {
	FormatVersion int         `json:"format_version"`
	Request       string      `json:"request"`
	Subject       string      `json:"subject"`
	Pass          bool        `json:"pass"`
	Objects       int         `json:"erased_objects"`
	Paths         []string    `json:"erased_paths"`
	Stores        []storeJSON `json:"stores"`
}

func proofOut(p *proof.Proof) proofJSON {
	out := proofJSON{FormatVersion: jsonVersion, Request: p.Request.ID, Subject: p.Request.Subject, Pass: p.OK(),
		Objects: p.Objects, Paths: nonNil(p.Paths), Stores: []storeJSON{}}
	for _, s := range p.Stores {
		st := storeJSON{Name: s.Name, GitDir: s.GitDir, Pass: s.OK(), Packs: s.Packs, Loose: s.Loose, Refs: s.Refs,
			Commits: s.Commits, Survivors: nonNil(s.Survivors), PathHits: []pathHitJSON{}}
		for _, h := range s.PathHits {
			st.PathHits = append(st.PathHits, pathHitJSON{Path: h.Path, Commit: h.Commit.String()})
		}
		out.Stores = append(out.Stores, st)
	}
	return out
}

// remoteJSON is one mirror in "backup" and "backup verify": what was done
// to it (backup only), what was checked, and what is wrong with it.
type remoteJSON struct {
	Name       string        `json:"name"`
	Location   string        `json:"location"`
	OK         bool          `json:"ok"`
	Created    bool          `json:"created,omitempty"`
	Updated    []string      `json:"updated_refs,omitempty"`
	Deleted    []string      `json:"deleted_refs,omitempty"`
	Applied    []string      `json:"purges_applied,omitempty"`
	Head       string        `json:"head,omitempty"`
	HeadCommit string        `json:"head_commit,omitempty"`
	FullCheck  bool          `json:"full_check"`
	Checked    int           `json:"objects_checked"`
	Manifest   *manifestJSON `json:"manifest,omitempty"`
	Unpurged   []string      `json:"erased_not_purged"`
	Problems   []string      `json:"problems"`
}

type manifestJSON struct {
	Time       string   `json:"time"`
	Head       string   `json:"head"`
	HeadCommit string   `json:"head_commit"`
	Applied    []string `json:"purges_applied"`
}

type backupJSON struct {
	FormatVersion int          `json:"format_version"`
	Operation     string       `json:"operation"` // "backup" or "verify"
	OK            bool         `json:"ok"`
	Remotes       []remoteJSON `json:"remotes"`
}

func backupOut(r *backup.Remote, res *backup.Result, problems backup.Problems) remoteJSON {
	out := remoteJSON{Name: r.Name, Location: where(r), OK: problems == nil, Problems: nonNil(problems), Unpurged: []string{}}
	if res != nil {
		out.Created, out.Updated, out.Deleted, out.Applied = res.Created, res.Updated, res.Deleted, res.Applied
		out.Head, out.HeadCommit, out.FullCheck, out.Checked = res.Head, res.HeadCommit, res.FullCheck, res.Checked
		out.Unpurged = nonNil(res.Unpurged)
	}
	return out
}

func verifyOut(r *backup.Remote, rep *backup.Report, problems backup.Problems) remoteJSON {
	out := remoteJSON{Name: r.Name, Location: where(r), OK: problems == nil, Problems: nonNil(problems), Unpurged: []string{}, FullCheck: true}
	if rep != nil {
		out.Checked, out.Unpurged = rep.Checked, nonNil(rep.Unpurged)
		if m := rep.Manifest; m != nil {
			out.Manifest = &manifestJSON{Time: m.Time, Head: m.Head, HeadCommit: m.HeadCommit, Applied: nonNil(m.Applied)}
		}
	}
	return out
}

// nonNil makes an empty list [] in JSON rather than null.
func nonNil[S ~[]string](s S) []string {
	if s == nil {
		return []string{}
	}
	return s
}
