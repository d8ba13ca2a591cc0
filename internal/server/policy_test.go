package server

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestCompareSchema(t *testing.T) {
	base := map[string]any{
		"type": "object", "additionalProperties": false,
		"properties": map[string]any{
			"id":        map[string]any{"type": "string", "pattern": "^u-[0-9]{4,}$"},
			"full_name": map[string]any{"type": "string", "x-personal": true},
			"role":      map[string]any{"enum": []any{"admin"}},
			"host":      map[string]any{"$ref": "#/$defs/host"},
		},
		"$defs": map[string]any{"host": map[string]any{"type": "string", "format": "hostname"}},
	}
	clone := func(edit func(props map[string]any, doc map[string]any)) map[string]any {
		props := map[string]any{}
		for k, v := range base["properties"].(map[string]any) {
			props[k] = v
		}
		doc := map[string]any{"type": "object", "additionalProperties": false, "properties": props, "$defs": base["$defs"]}
		edit(props, doc)
		return doc
	}
	tests := []struct {
		name string
		cur  map[string]any
		want []string
	}{
		{"same", clone(func(map[string]any, map[string]any) {}), nil},
		{"enum field", clone(func(p, _ map[string]any) { p["team"] = map[string]any{"enum": []any{"a"}} }), nil},
		{"personal free text", clone(func(p, _ map[string]any) { p["notes"] = map[string]any{"type": "string", "x-personal": true} }), nil},
		{"free text", clone(func(p, _ map[string]any) { p["notes"] = map[string]any{"type": "string"} }), []string{`"notes" is plain free text`}},
		{"drops x-personal", clone(func(p, _ map[string]any) { p["full_name"] = map[string]any{"type": "string", "pattern": "^.+$"} }), []string{`"full_name" is no longer x-personal`}},
		{"drops additionalProperties", clone(func(_, d map[string]any) { delete(d, "additionalProperties") }), []string{"no longer says additionalProperties: false"}},
		{"drops a pattern", clone(func(p, _ map[string]any) { p["id"] = map[string]any{"type": "string"} }), []string{`"id" is plain free text`}},
	}
	for _, tt := range tests {
		got := compareSchema(base, tt.cur)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: %q, want %q", tt.name, got[i], w)
			}
		}
	}
}

func TestParentsFirst(t *testing.T) {
	h := func(n byte) plumbing.Hash { return plumbing.Hash{n} }
	commit := func(n byte, parents ...byte) pending {
		c := &object.Commit{Hash: h(n)}
		for _, p := range parents {
			c.ParentHashes = append(c.ParentHashes, h(p))
		}
		return pending{c: c}
	}
	// M(1) merges P1(2) and P2(3); P1 -> A(4) -> B(6) -> X(5); P2 -> X; X -> outside(9).
	todo := []pending{commit(1, 2, 3), commit(2, 4), commit(3, 5), commit(4, 6), commit(5, 9), commit(6, 5)}
	pos := map[plumbing.Hash]int{}
	for i, p := range parentsFirst(todo) {
		pos[p.c.Hash] = i
	}
	if len(pos) != len(todo) {
		t.Fatalf("got %d commits, want %d", len(pos), len(todo))
	}
	for _, p := range todo {
		for _, ph := range p.c.ParentHashes {
			if j, ok := pos[ph]; ok && j > pos[p.c.Hash] {
				t.Errorf("commit %x comes before its parent %x", p.c.Hash[0], ph[0])
			}
		}
	}
}

func TestErasedCache(t *testing.T) {
	a, b := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567"), plumbing.NewHash("f123456789abcdef0123456789abcdef01234567")
	e := &erasedSet{ids: []plumbing.Hash{a, b}, req: []int32{0, 1}, reqs: []string{"DSR-2026-0001", "DSR-2026-0002"},
		customers: map[string]string{"c-0042": "DSR-2026-0002"}, records: map[string]string{"records/c-0001/users/u-0001.yaml": "DSR-2026-0001"}, kept: map[string]bool{"records/c-0042/contracts/ct-0001.yaml": true}}
	file := t.TempDir() + "/cache"
	tree := plumbing.NewHash("1111111111111111111111111111111111111111")
	writeErasedCache(file, tree, e)
	if readErasedCache(file, plumbing.NewHash("2222222222222222222222222222222222222222")) != nil {
		t.Fatal("a cache of another ledger tree was used")
	}
	got := readErasedCache(file, tree)
	if got == nil {
		t.Fatal("the cache was not read back")
	}
	for _, c := range []struct {
		h    plumbing.Hash
		want string
	}{{a, "DSR-2026-0001"}, {b, "DSR-2026-0002"}, {plumbing.NewHash("5555555555555555555555555555555555555555"), ""}} {
		if id := got.object(c.h); id != c.want {
			t.Errorf("object %s: %q, want %q", c.h, id, c.want)
		}
	}
	for rel, want := range map[string]string{
		"records/c-0001/users/u-0001.yaml":      "DSR-2026-0001",
		"records/c-0001/users/u-0002.yaml":      "",
		"records/c-0042/customer.yaml":          "DSR-2026-0002",
		"records/c-0042/contracts/ct-0001.yaml": "",
	} {
		if id := got.record(rel); id != want {
			t.Errorf("record %s: %q, want %q", rel, id, want)
		}
	}
}

func TestShownRef(t *testing.T) {
	for ref, shown := range map[string]bool{
		"refs/heads/main":             true,
		"refs/heads/kees@example.com": false,
		"refs/heads/call/0612345678":  false,
	} {
		got := ShownRef(plumbing.ReferenceName(ref))
		if (got == ref) != shown {
			t.Errorf("%s: shown as %q", ref, got)
		}
	}
}
