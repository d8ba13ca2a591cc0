package request

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vts/dossier/internal/schema"
)

// Language is the language of an access report. Dutch is the default: it
// is the language of the company's customers and of its privacy policy.
// English is there for the subject who asks for it.
type Language string

const (
	Dutch   Language = "nl"
	English Language = "en"
)

// ParseLanguage reads "nl" or "en"; "" is Dutch.
func ParseLanguage(s string) (Language, error) {
	switch Language(s) {
	case "", Dutch:
		return Dutch, nil
	case English:
		return English, nil
	}
	return "", fmt.Errorf("report language %q: use nl (Dutch) or en (English)", s)
}

// Withheld stands in for a secret's value in an export made without
// --include-secrets: the subject learns that it is stored, not what it is.
func (l Language) Withheld() string {
	if l == English {
		return "stored (value withheld)"
	}
	return "opgeslagen (waarde niet getoond)"
}

// category is what the report says about a kind: its name, description,
// purpose and how long it is kept, from the schema's x-nl text in Dutch
// (the schema's own, English, text where x-nl gives none).
func (l Language) category(name string, k *schema.Kind) Category {
	c := Category{Kind: name, Title: k.Title, Description: k.Root.Desc, Purpose: k.Purpose}
	if l == Dutch {
		c.Title = or(k.NL.Title, c.Title)
		c.Description = or(k.NL.Description, c.Description)
		c.Purpose = or(k.NL.Purpose, c.Purpose)
	}
	c.Retention = l.retention(k)
	return c
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// retention says, for a person, how long a kind is kept.
func (l Language) retention(k *schema.Kind) string {
	r := k.Retention
	if l == English {
		if r == nil {
			return "Kept while we support you under the agreement with your organisation; removed when you ask for erasure or when support ends."
		}
		s := fmt.Sprintf("Kept for %s after %s (%s: %s).", l.period(r.Period), strings.ReplaceAll(r.After, "_", " "), strings.ReplaceAll(r.Basis, "-", " "), r.Law)
		if len(r.Keep) > 0 {
			s += " If you ask for erasure during that period, we keep only " + strings.Join(r.Keep, ", ") + " until it ends."
		}
		return s
	}
	if r == nil {
		return "Bewaard zolang wij u ondersteunen onder de overeenkomst met uw organisatie; verwijderd wanneer u om wissing vraagt of wanneer de ondersteuning stopt."
	}
	basis := map[string]string{"legal-obligation": "wettelijke verplichting", "legitimate-interest": "gerechtvaardigd belang", "contract": "overeenkomst", "consent": "toestemming"}[r.Basis]
	s := fmt.Sprintf("Bewaard gedurende %s, gerekend vanaf ‘%s’ (%s: %s).", l.period(r.Period), l.label(k.Root.Props[r.After], r.After), or(basis, r.Basis), or(k.NL.Law, r.Law))
	if len(r.Keep) > 0 {
		var keep []string
		for _, f := range r.Keep {
			keep = append(keep, l.label(k.Root.Props[f], f))
		}
		s += " Vraagt u binnen die termijn om wissing, dan bewaren wij tot het einde ervan enkel: " + strings.Join(keep, ", ") + "."
	}
	return s
}

func (l Language) period(p schema.Period) string {
	units := [][2]string{{"year", "years"}, {"month", "months"}, {"day", "days"}}
	if l == Dutch {
		units = [][2]string{{"jaar", "jaar"}, {"maand", "maanden"}, {"dag", "dagen"}}
	}
	var parts []string
	for i, n := range []int{p.Years, p.Months, p.Days} {
		switch {
		case n == 1:
			parts = append(parts, "1 "+units[i][0])
		case n > 1:
			parts = append(parts, strconv.Itoa(n)+" "+units[i][1])
		}
	}
	sep := " and "
	if l == Dutch {
		sep = " en "
	}
	return strings.Join(parts, sep)
}

// label is how the report names a field: its Dutch title from the schema,
// or the field name itself.
func (l Language) label(n *schema.Node, key string) string {
	if l == Dutch && n != nil && n.NL.Title != "" {
		return n.NL.Title
	}
	return key
}

// value is how the report shows a plain value.
func (l Language) value(v any) string {
	if b, ok := v.(bool); ok && l == Dutch {
		if b {
			return "ja"
		}
		return "nee"
	}
	return fmt.Sprint(v)
}

// none marks an empty list.
func (l Language) none() string {
	if l == Dutch {
		return "(geen)"
	}
	return "(none)"
}
