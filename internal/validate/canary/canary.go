// Package canary is the corpus of malformed records that proves no output
// of dossier repeats a value: each case puts the canary, a made-up name,
// in one place of a real encrypted user record where a careless engineer
// or an attacker could put a person's name, and says which rule refuses
// it. The validate tests and the command tests (validate, hooks, show,
// new, edit, correct) run every case and assert that the canary never
// comes out.
package canary

import (
	"fmt"
	"regexp"
)

// Canary is the value no output may hold.
const Canary = "Zyxwvut Canary"

// Parts are pieces of the canary that no output may hold either (an anchor
// or a tag cannot hold a space).
var Parts = []string{"Zyxwvut", "Canary"}

// Case is one malformed record.
type Case struct {
	Name string
	Doc  string // the whole file
	Want string // a part of the finding that names the rule
}

// aValidENC is a well-formed encrypted value (of nothing readable).
const aValidENC = "ENC[AES256_GCM,data:YWJj,iv:84/WL424DkdxFHLwPvMP8I19VCt4bTP/QyRBUWu3fas=,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]"

// Cases builds the corpus from rec, a user record written by sops or
// dossier (with role, active, full_name and an account with a host). It
// fails if rec lacks one of the places a case changes.
func Cases(rec string) ([]Case, error) {
	var err error
	rep := func(pattern, repl string) string {
		re := regexp.MustCompile("(?m)" + pattern)
		if !re.MatchString(rec) {
			if err == nil {
				err = fmt.Errorf("the record has no line matching %s", pattern)
			}
			return rec
		}
		done := false
		return re.ReplaceAllStringFunc(rec, func(m string) string {
			if done {
				return m
			}
			done = true
			return re.ReplaceAllString(m, repl)
		})
	}
	c := Canary
	cases := []Case{
		{"document comment after a blank line", "\n# " + c + "\n" + rec, "holds a YAML comment"},
		{"comment at the end", rec + "# " + c + "\n", "holds a YAML comment"},
		{"comment after a blank line at the end", rec + "\n# " + c + "\n", "holds a YAML comment"},
		{"inline comment", rep(`^role: (\w+)$`, "role: ${1} # "+c), "holds a YAML comment"},
		{"comment in the sops block", rep(`^( +)version: (.*)$`, "${1}# "+c+"\n${1}version: ${2}"), "holds a YAML comment"},
		{"%TAG directive", "%TAG !c! tag:ZyxwvutCanary,2000:\n---\n" + rec, "directive or document marker"},
		{"%YAML directive", "%YAML 1.2\n---\n" + rec, "directive or document marker"},
		{"document end and comment", rec + "...\n# " + c + "\n", "directive or document marker"},
		{"second document with comment", rec + "--- # " + c + "\n", "directive or document marker"},
		{"sops unknown key", rep(`^( +)version: (.*)$`, "${1}note: "+c+"\n${1}version: ${2}"), "holds a key that sops does not write"},
		{"sops unknown key named by the canary", rep(`^( +)version: (.*)$`, "${1}"+c+": x\n${1}version: ${2}"), "holds a key that sops does not write"},
		{"extra age entry key", rep(`^( +)recipient: age1`, "${1}note: "+c+"\n${1}recipient: age1"), "in an entry of age"},
		{"version text", rep(`^( +)version: (.*)$`, "${1}version: ${2} "+c), "is not a sops version"},
		{"text before the armor", rep(`^( +)-----BEGIN AGE ENCRYPTED FILE-----$`, "${1}"+c+"\n${1}-----BEGIN AGE ENCRYPTED FILE-----"), "is not exactly an armored age file"},
		{"fake mac", rep(`mac: ENC\[AES256_GCM,data:`, "mac: ENC[AES256_GCM,data:"+c), `"sops.mac" is not a well-formed encrypted value`},
		{"second sops key", rec + "sops:\n  note: " + c + "\n", "holds a second sops block"},
		{"mac_only_encrypted", rep(`^( +)version: (.*)$`, "${1}mac_only_encrypted: true\n${1}version: ${2}"), "holds mac_only_encrypted"},
		{"unencrypted_suffix", rep(`^( +)version: (.*)$`, "${1}unencrypted_suffix: "+c+"\n${1}version: ${2}"), "holds unencrypted_suffix"},
		{"anchor name", rep(`^role: (\w+)$`, "role: &ZyxwvutCanary ${1}"), "holds a YAML anchor"},
		{"alias", rep(`^role: (\w+)\nactive: (\w+)$`, "role: &ZyxwvutCanary ${1}\nactive: *ZyxwvutCanary"), "holds a YAML"},
		{"local tag", rep(`^role: (\w+)$`, "role: !ZyxwvutCanary ${1}"), "holds a YAML tag"},
		{"local tag on a personal field", rep(`^full_name: ENC`, "full_name: !ZyxwvutCanary ENC"), "holds a YAML tag"},
		{"forged ENC data", rep(`^full_name: ENC.*$`, "full_name: ENC[AES256_GCM,data:"+c+",iv:x,tag:y,type:str]"), "not a well-formed encrypted value"},
		{"forged ENC iv", rep(`^full_name: ENC.*$`, "full_name: ENC[AES256_GCM,data:YWJj,iv:ZyxwvutCanary,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]"), "the iv is not 32 bytes"},
		{"ENC type bytes", rep(`^full_name: (ENC.*)type:str\]$`, "full_name: ${1}type:bytes]"), "the type is not one of"},
		{"mapping key in a personal field", rep(`^full_name: ENC.*$`, "full_name:\n  "+c+": "+aValidENC), "holds a mapping where the schema wants one encrypted personal value"},
		{"list in a personal field", rep(`^full_name: ENC.*$`, "full_name:\n  - "+c), "holds a list where the schema wants one encrypted"},
		{"null in a personal field", rep(`^full_name: ENC.*$`, "full_name: null"), "is empty (null)"},
		{"plaintext personal field", rep(`^full_name: ENC.*$`, "full_name: "+c), "holds a personal value in plaintext"},
		{"!!bool-tagged name", rep(`^full_name: ENC.*$`, "full_name: !!bool "+c), "holds a YAML tag"},
		{"!!int-tagged plain field", rep(`^role: (\w+)$`, "role: !!int "+c), "holds a YAML tag"},
		{"unknown field named by the canary", rep(`^role: (\w+)$`, "role: ${1}\n"+c+": x"), "holds a field that the schema does not name"},
		{"unknown field in a list item", rep(`^( +)host: (.*)$`, "${1}host: ${2}\n${1}"+c+": x"), "holds a field that the schema does not name"},
		{"plain field value (enum)", rep(`^role: (\w+)$`, "role: "+c), "is not one of admin, staff, owner, external"},
		{"plain field value (pattern)", rep(`^( +)host: (.*)$`, "${1}host: "+c), "does not match the pattern"},
		{"plain field value (type)", rep(`^active: (\w+)$`, "active: "+c), "has the wrong type"},
		{"plain field value (kind)", rep(`^kind: user$`, "kind: "+c), "a record of another kind"},
		{"plain field value (id)", rep(`^id: (.*)$`, "id: "+c), "value not shown: not an opaque id"},
		{"plain field value (customer)", rep(`^customer: (.*)$`, "customer: "+c), "value not shown: not an opaque id"},
		{"flow mapping", rep(`^role: (\w+)$`, "role: {a: "+c+"}"), "flow collection"},
		{"duplicate plain field", rep(`^role: (\w+)$`, "role: ${1}\nrole: "+c), `holds the field name "role" twice`},
		{"duplicate unknown key", rep(`^role: (\w+)$`, "role: ${1}\n"+c+": a\n"+c+": b"), "twice in one mapping (name not shown)"},
		{"complex key", rep(`^role: (\w+)$`, "role: ${1}\n? ["+c+"]\n: x"), "not plain text"},
		{"binary tag", rep(`^role: (\w+)$`, "role: !!binary Wnl4d3Z1dCBDYW5hcnk="), "holds a YAML tag"},
		{"sops lastmodified text", rep(`^( +)lastmodified: .*$`, "${1}lastmodified: "+c), "is not an RFC 3339 time"},
	}
	return cases, err
}
