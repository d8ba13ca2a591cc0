package workspace

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/schema"
)

// Template is the starting text of a new record in the editor: its ids
// filled in from the path, and every other field of the schema as a
// comment, in the schema's order, saying what a person needs to fill it
// in without reading the schema: required or optional, personal or
// secret, the allowed values of an enum, the date format, the form of a
// value (x-hint), and the shape of a list (a "- " item with its fields).
// Uncommenting a line and filling it in is all it takes.
func Template(k *schema.Kind, p record.Path) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# New %s record. Uncomment the fields you need (remove the \"# \"), fill them in\n", k.Name)
	fmt.Fprintf(&b, "# and save; dossier validates and encrypts it. Lines still commented are ignored.\n")
	fmt.Fprintf(&b, "# REQUIRED fields must be filled in. Personal and secret fields are encrypted on disk.\n")
	fmt.Fprintf(&b, "# Dates are written YYYY-MM-DD in quotes (\"2026-03-01\"); yes/no fields are true or false.\n")
	fmt.Fprintf(&b, "kind: %s\nid: %s\n", k.Name, p.ID)
	if k.Name != "customer" {
		fmt.Fprintf(&b, "customer: %s\n", p.Customer)
	}
	for _, name := range k.Root.Order {
		if name == "kind" || name == "id" || name == "customer" {
			continue
		}
		field(&b, "", name, k.Root.Props[name], slices.Contains(k.Root.Required, name))
	}
	return []byte(b.String())
}

// field writes one commented field, and for a list of mappings one item
// with its fields, indented as YAML wants them.
func field(b *strings.Builder, indent, name string, n *schema.Node, required bool) {
	var notes []string
	if required {
		notes = append(notes, "REQUIRED")
	}
	notes = append(notes, describe(n)...)
	note := ""
	if len(notes) > 0 {
		note = "  # " + strings.Join(notes, "; ")
	}
	switch {
	case n.Items != nil && n.Items.Props != nil:
		fmt.Fprintf(b, "# %s%s:%s\n", indent, name, note)
		item := n.Items
		for i, c := range item.Order {
			prefix := indent + "    "
			if i == 0 {
				prefix = indent + "  - "
			}
			field(b, prefix, c, item.Props[c], slices.Contains(item.Required, c))
		}
	case n.Props != nil:
		fmt.Fprintf(b, "# %s%s:%s\n", indent, name, note)
		for _, c := range n.Order {
			field(b, indent+"  ", c, n.Props[c], slices.Contains(n.Required, c))
		}
	case n.Items != nil:
		fmt.Fprintf(b, "# %s%s: [%s]%s\n", indent, name, example(n.Items), note)
	case example(n) != "":
		fmt.Fprintf(b, "# %s%s: %s%s\n", indent, name, example(n), note)
	default:
		fmt.Fprintf(b, "# %s%s:%s\n", indent, name, note)
	}
}

// describe is what a person needs to know to fill in a field.
func describe(n *schema.Node) []string {
	var out []string
	switch n.Class {
	case schema.Personal:
		out = append(out, "personal")
	case schema.Secret:
		out = append(out, "secret")
	}
	switch {
	case len(n.Enum) > 0:
		out = append(out, "one of: "+strings.Join(n.Enum, ", "))
	case n.Hint != "":
		out = append(out, n.Hint)
	case n.Format == "date":
		out = append(out, "a date, YYYY-MM-DD")
	case n.Format == "email":
		out = append(out, "an e-mail address")
	case slices.Contains(n.Types, "boolean"):
		out = append(out, "true or false")
	case slices.Contains(n.Types, "integer"):
		out = append(out, "a whole number")
	case n.Items != nil && n.Items.Props == nil && n.Items.Hint != "":
		out = append(out, "a list of: "+n.Items.Hint)
	}
	return out
}

// example is a placeholder value of the right shape.
func example(n *schema.Node) string {
	switch {
	case len(n.Enum) > 0:
		return n.Enum[0]
	case n.Format == "date":
		return `"YYYY-MM-DD"`
	case slices.Contains(n.Types, "boolean"):
		return "true"
	case slices.Contains(n.Types, "integer"):
		return "1"
	case slices.Contains(n.Types, "number"):
		return "0.00"
	}
	return ""
}
