package workspace

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/schema"
)

// Template is the starting text of a new record in the editor: its ids
// filled in from the path, and every other field of the schema as a
// comment saying whether it is personal or secret.
func Template(k *schema.Kind, p record.Path) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# New %s record. Fill in the fields and save; dossier validates and encrypts it.\n", k.Name)
	fmt.Fprintf(&b, "# Personal and secret fields are encrypted on disk. Empty comments are ignored.\n")
	fmt.Fprintf(&b, "kind: %s\nid: %s\n", k.Name, p.ID)
	if k.Name != "customer" {
		fmt.Fprintf(&b, "customer: %s\n", p.Customer)
	}
	var names []string
	for n := range k.Root.Props {
		if n != "kind" && n != "id" && n != "customer" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		c := k.Root.Props[n]
		note := ""
		if c.Class != schema.Plain {
			note = "  # " + c.Class.String()
		}
		fmt.Fprintf(&b, "# %s:%s\n", n, note)
	}
	return []byte(b.String())
}
