package sopsfile

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getsops/sops/v3"
)

func TestCheckTypesRefusesUnreadTagsByField(t *testing.T) {
	enc := func(typ string) string { return "ENC[AES256_GCM,data:YWJj,iv:aXY=,tag:dGFn,type:" + typ + "]" }
	tree := func(v any, mac string) sops.Tree {
		return sops.Tree{
			Branches: sops.TreeBranches{{
				{Key: "kind", Value: "user"},
				{Key: "accounts", Value: []any{sops.TreeBranch{{Key: "password", Value: v}}}},
			}},
			Metadata: sops.Metadata{MessageAuthenticationCode: mac},
		}
	}
	for _, typ := range []string{"str", "int", "float", "bool", "time"} {
		if err := checkTypes(tree(enc(typ), enc("str"))); err != nil {
			t.Errorf("type %s: %v", typ, err)
		}
	}
	for _, tc := range []struct{ v, mac, field, typ string }{
		{enc("bytes"), enc("str"), "accounts.0.password", "bytes"},
		{enc("comment"), enc("str"), "accounts.0.password", "comment"},
		{enc("zzz"), enc("str"), "accounts.0.password", "zzz"},
		{enc("str"), enc("bytes"), "sops.mac", "bytes"},
	} {
		err := checkTypes(tree(tc.v, tc.mac))
		var te *TypeError
		if !errors.As(err, &te) || te.Field != tc.field || te.Type != tc.typ {
			t.Errorf("checkTypes(%s, mac %s) = %v, want field %s type %s", tc.v, tc.mac, err, tc.field, tc.typ)
		}
		if strings.Contains(err.Error(), "YWJj") {
			t.Errorf("the message quotes the value: %v", err)
		}
	}
}

func TestLoadPlainKeepsDatesAsText(t *testing.T) {
	branches, err := loadPlain([]byte("since: 2019-03-01\nat: 2019-03-01T10:30:00+02:00\nlist:\n  - 2020-01-31\nname: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := branches[0]
	want := map[string]any{"since": "2019-03-01", "at": "2019-03-01T10:30:00+02:00", "name": "x"}
	for _, item := range b {
		if w, ok := want[item.Key.(string)]; ok && item.Value != w {
			t.Errorf("%s = %#v, want %#v", item.Key, item.Value, w)
		}
	}
	if l := b[2].Value.([]any); l[0] != "2020-01-31" {
		t.Errorf("list item = %#v", l[0])
	}
	if datesAsText(sops.TreeBranch{{Key: "since", Value: time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)}}) != true {
		t.Error("datesAsText did not report the timestamp it replaced")
	}
}

func TestLoadPlainDropsComments(t *testing.T) {
	branches, err := loadPlain([]byte("# head CANARY\nname: x # inline CANARY\nlist:\n  # in list CANARY\n  - a # CANARY\n  - b\n# foot CANARY\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := store().EmitPlainFile(branches)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "CANARY") || string(out) != "name: x\nlist:\n    - a\n    - b\n" {
		t.Errorf("loadPlain kept comments or changed values:\n%s", out)
	}
}
