package githook

import (
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/validate"
)

// CheckStored looks for e-mail addresses and phone numbers in a commit or
// tag message as stored, without a key: what the server checks of every
// pushed commit, and "validate --range" of every commit in a range, with
// the same patterns the commit-msg hook uses. An identity trailer
// (Signed-off-by, Co-authored-by...) may carry the address of one of the
// engineers, the commit's author or committer: they are in the commit
// anyway. Any other address is refused there too ("Reported-by:" a
// customer is a personal value).
func CheckStored(msg string, engineers ...string) []validate.Finding {
	var out []validate.Finding
	for i, l := range strings.Split(msg, "\n") {
		identity := false
		if t := trailerRe.FindStringSubmatch(l); t != nil && identityTrailerRe.MatchString(t[1]) {
			identity = true
			for _, a := range emailRe.FindAllString(t[2], -1) {
				identity = identity && slices.ContainsFunc(engineers, func(e string) bool { return strings.EqualFold(e, a) })
			}
		}
		what := ""
		switch {
		case emailRe.MatchString(l) && !identity:
			what = "an e-mail address"
		case phoneRe.MatchString(l):
			what = "a phone number"
		default:
			continue
		}
		out = append(out, validate.Finding{File: "(commit message)", Line: i + 1, Check: "message", Message: "looks like " + what + " (value not shown); messages hold ids only (c-0042/u-0017), never personal values", Fix: "reword the commit (\"git rebase -i\", reword) and push again"})
	}
	return out
}

// CheckRefName refuses a branch or tag name that looks like an e-mail
// address or phone number: ref names are shown to everyone who fetches.
func CheckRefName(ref plumbing.ReferenceName) []validate.Finding {
	name := ref.String()
	var what string
	switch {
	case emailRe.MatchString(name):
		what = "an e-mail address"
	case phoneRe.MatchString(strings.ReplaceAll(name, "/", " ")):
		what = "a phone number"
	default:
		return nil
	}
	return []validate.Finding{{File: "(ref name)", Check: "message", Message: "the branch or tag name looks like " + what + " (name not shown); ref names hold ids only", Fix: "push to a name made of ids and words (e.g. c-0042-contract)"}}
}
