package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/yamltree"
)

// weakenings names what a schema change from tree a to tree b gives up:
// a field no longer x-personal or x-secret, an object that no longer says
// additionalProperties: false, a plain text field that takes any text (no
// pattern, enum, const or format), which is where names and notes end up
// in clear. A signed change may do all that; the signer is told so, and
// an unsigned one is refused saying so.
func weakenings(a, b *object.Tree) []string {
	var out []string
	files := func(t *object.Tree) map[string]map[string]any {
		m := map[string]map[string]any{}
		dir, err := t.Tree("schema")
		if err != nil {
			return m
		}
		for _, e := range dir.Entries {
			if !strings.HasSuffix(e.Name, ".schema.yaml") {
				continue
			}
			data, err := repo.TreeFS{Tree: dir}.ReadFile(e.Name)
			if err != nil {
				continue
			}
			n, err := yamltree.Parse(data)
			if err != nil {
				continue
			}
			v, err := yamltree.Value(n)
			if doc, ok := v.(map[string]any); err == nil && ok {
				m[e.Name] = doc
			}
		}
		return m
	}
	old, cur := files(a), files(b)
	var names []string
	for n := range cur {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		kind := strings.TrimSuffix(n, ".schema.yaml")
		for _, w := range compareSchema(old[n], cur[n]) {
			out = append(out, kind+": "+w)
		}
	}
	return out
}

// compareSchema walks the properties of a new schema document next to the
// old one (nil for a new kind).
func compareSchema(old, cur map[string]any) []string {
	var out []string
	oldDefs, _ := old["$defs"].(map[string]any)
	curDefs, _ := cur["$defs"].(map[string]any)
	var walk func(o, c any, path string, oProt, cProt bool, depth int)
	walk = func(o, c any, path string, oProt, cProt bool, depth int) {
		if depth > 32 {
			return
		}
		om, cm := resolve(o, oldDefs), resolve(c, curDefs)
		if cm == nil {
			return
		}
		oProt = oProt || (om != nil && (om["x-personal"] == true || om["x-secret"] == true))
		cProt = cProt || cm["x-personal"] == true || cm["x-secret"] == true
		field := strings.TrimPrefix(path, ".")
		if field == "" {
			field = "(record)"
		}
		if om != nil && oProt && !cProt {
			out = append(out, fmt.Sprintf("field %q is no longer x-personal/x-secret (it would be stored in clear)", field))
			return
		}
		if cProt {
			return // encrypted: whatever it holds is not in clear
		}
		if om != nil && om["additionalProperties"] == false && cm["additionalProperties"] != false {
			out = append(out, fmt.Sprintf("%s no longer says additionalProperties: false (fields the schema does not name would be kept)", field))
		}
		if freeText(cm) && (om == nil || !freeText(om)) && path != "" {
			out = append(out, fmt.Sprintf("field %q is plain free text (type string without pattern, enum, const or format): personal values would be stored in clear", field))
		}
		cp, _ := cm["properties"].(map[string]any)
		var op map[string]any
		if om != nil {
			op, _ = om["properties"].(map[string]any)
		}
		keys := make([]string, 0, len(cp))
		for k := range cp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var ov any
			if op != nil {
				ov = op[k]
			}
			walk(ov, cp[k], path+"."+k, oProt, cProt, depth+1)
		}
		var oi any
		if om != nil {
			oi = om["items"]
		}
		if ci, ok := cm["items"]; ok {
			walk(oi, ci, path+"[]", oProt, cProt, depth+1)
		}
	}
	var o any
	if old != nil {
		o = old
	}
	walk(o, cur, "", false, false, 0)
	return out
}

// resolve follows a local $ref into $defs.
func resolve(v any, defs map[string]any) map[string]any {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		name, _ := strings.CutPrefix(r, "#/$defs/")
		v = defs[name]
	}
	return nil
}

// freeText reports whether a subschema takes any string.
func freeText(m map[string]any) bool {
	isString := false
	switch t := m["type"].(type) {
	case string:
		isString = t == "string"
	case []any:
		for _, x := range t {
			isString = isString || x == "string"
		}
	case nil:
		_, isObj := m["properties"]
		_, isArr := m["items"]
		isString = !isObj && !isArr && m["const"] == nil && m["enum"] == nil
	}
	if !isString {
		return false
	}
	for _, k := range []string{"pattern", "enum", "const", "format"} {
		if _, ok := m[k]; ok {
			return false
		}
	}
	return true
}
