package request

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vts/dossier/internal/ledger"
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

// Withheld is how the report shows a value left out of the copy: the
// subject learns that it is stored, not what it is.
func (l Language) Withheld(reason string) string {
	if reason == ReasonOthers {
		if l == English {
			return "left out (also about other people)"
		}
		return "weggelaten (gaat ook over anderen)"
	}
	if l == English {
		return "stored (value withheld)"
	}
	return "opgeslagen (waarde niet getoond)"
}

// category is what the report says about a kind: its name, description,
// purpose and how long it is kept, from the schema's x-nl text in Dutch
// (the schema's own, English, text where x-nl gives none).
func (l Language) category(name string, set *schema.Set) Category {
	k := set.Kinds[name]
	c := Category{Kind: name, Title: k.Title, Description: k.Root.Desc, Purpose: k.Purpose}
	if l == Dutch {
		c.Title = or(k.NL.Title, c.Title)
		c.Description = or(k.NL.Description, c.Description)
		c.Purpose = or(k.NL.Purpose, c.Purpose)
	}
	c.Retention = l.retention(k, set.Kinds["customer"])
	return c
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// retention says, for a person, how long a kind is kept. A kind without
// its own rule follows the customer's: it is kept while the customer is
// supported, and goes when the customer's record goes.
func (l Language) retention(k, customer *schema.Kind) string {
	r := k.Retention
	follows := ""
	if r == nil && customer != nil && customer.Retention != nil && k != customer {
		follows = l.period(customer.Retention.Period)
	}
	if l == English {
		if r == nil {
			s := "Kept while we support you under the agreement with your organisation; removed when you ask for erasure"
			if follows != "" {
				return s + ", and at the latest " + follows + " after support ends."
			}
			return s + " or when support ends."
		}
		s := fmt.Sprintf("Kept for %s after the %s (%s: %s).", l.period(r.Period), strings.ToLower(l.label(k.Root.Props[r.After], r.After)), strings.ReplaceAll(r.Basis, "-", " "), r.Law)
		if len(r.Keep) > 0 {
			var keep []string
			for _, f := range r.Keep {
				keep = append(keep, strings.ToLower(l.label(k.Root.Props[f], f)))
			}
			s += " If you ask for erasure during that period, we keep only " + strings.Join(keep, ", ") + " until it ends."
		}
		return s
	}
	if r == nil {
		s := "Bewaard zolang wij u ondersteunen onder de overeenkomst met uw organisatie; verwijderd wanneer u om wissing vraagt"
		if follows != "" {
			return s + ", en uiterlijk " + follows + " nadat de ondersteuning stopte."
		}
		return s + " of wanneer de ondersteuning stopt."
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

// source is where the data came from (GDPR art. 15(1)(g)).
func (l Language) source(s SubjectInfo) string {
	org := s.Customer
	if s.CustomerName != "" {
		org = s.CustomerName + " (" + s.Customer + ")"
	}
	if s.User == "" {
		if l == English {
			return "You gave us these data yourself, when the agreement was made and while we support you. Our engineers recorded the maintenance work and the faults you reported."
		}
		return "U gaf ons deze gegevens zelf, bij het afsluiten van de overeenkomst en tijdens onze ondersteuning. Onze technici legden het onderhoud en de gemelde fouten vast."
	}
	if l == English {
		return "Your employer or principal, our customer " + org + ", gave us these data so that we can support you, or you gave them to us yourself when you asked for help. Our engineers recorded the maintenance work and the faults reported."
	}
	return "Uw werkgever of opdrachtgever, onze klant " + org + ", gaf ons deze gegevens zodat wij u kunnen ondersteunen, of u gaf ze ons zelf toen u om hulp vroeg. Onze technici legden het onderhoud en de gemelde fouten vast."
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

// label is how the report names a field: its title from the schema in
// the report's language (x-nl.title, or the JSON Schema title), else the
// field name in words (end_date: End date).
func (l Language) label(n *schema.Node, key string) string {
	if n != nil {
		if l == Dutch && n.NL.Title != "" {
			return n.NL.Title
		}
		if l == English && n.Title != "" {
			return n.Title
		}
	}
	return humanize(key)
}

// itemLabel names one item of a list: the items' own title (Account),
// else the list's label, and its number counted from 1.
func (l Language) itemLabel(list *schema.Node, listLabel string, i int) string {
	name := listLabel
	if list != nil && list.Items != nil {
		if t := l.label(list.Items, ""); t != "" {
			name = t
		}
	}
	return name + " " + strconv.Itoa(i+1)
}

func humanize(key string) string {
	if key == "" {
		return ""
	}
	s := strings.ReplaceAll(key, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	monthsNL = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
	monthsEN = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// Date writes a YYYY-MM-DD date in words: 1 maart 2026, 1 March 2026.
func (l Language) Date(s string) string {
	t, err := time.Parse(ledger.DateFormat, s)
	if err != nil {
		return s
	}
	months := monthsNL
	if l == English {
		months = monthsEN
	}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// Amount writes an amount in euro as its readers write it: 1.450,50 € in
// Dutch (nl-BE), €1,450.50 in English.
func (l Language) Amount(v float64) string {
	cents := int64(math.Round(math.Abs(v) * 100))
	whole, frac := strconv.FormatInt(cents/100, 10), fmt.Sprintf("%02d", cents%100)
	group, dec := ".", ","
	if l == English {
		group, dec = ",", "."
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	sign := ""
	if v < 0 {
		sign = "-"
	}
	if l == English {
		return sign + "€" + b.String() + dec + frac
	}
	return sign + b.String() + dec + frac + " €"
}

// value is how the report shows a plain value of a field.
func (l Language) value(n *schema.Node, v any) string {
	if n != nil && len(n.Enum) > 0 {
		s := fmt.Sprint(v)
		if l == Dutch && n.NL.Enum[s] != "" {
			return n.NL.Enum[s]
		}
		if l == English && n.EnumEN[s] != "" {
			return n.EnumEN[s]
		}
		return s
	}
	switch t := v.(type) {
	case bool:
		switch {
		case l == Dutch && t:
			return "ja"
		case l == Dutch:
			return "nee"
		case t:
			return "yes"
		}
		return "no"
	case float64:
		if n != nil && n.Unit == "EUR" {
			return l.Amount(t)
		}
		if l == Dutch {
			return strings.ReplaceAll(strconv.FormatFloat(t, 'f', -1, 64), ".", ",")
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int, int64, uint64:
		if n != nil && n.Unit == "EUR" {
			return l.Amount(toFloat(t))
		}
	case string:
		if n != nil && n.Format == "date" {
			return l.Date(t)
		}
	}
	return fmt.Sprint(v)
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return 0
}

// none marks an empty list.
func (l Language) none() string {
	if l == Dutch {
		return "(geen)"
	}
	return "(none)"
}
