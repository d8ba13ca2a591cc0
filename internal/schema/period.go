package schema

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vts/dossier/internal/lazyregexp"
)

// Period is an ISO 8601 period of whole years, months and days (P7Y, P18M,
// P30D), the granularity that retention rules are written in.
type Period struct {
	Years, Months, Days int
	Text                string
}

var periodRe = lazyregexp.New(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$`)

// ParsePeriod reads an ISO 8601 date period.
func ParsePeriod(s string) (Period, error) {
	m := periodRe.FindStringSubmatch(s)
	if m == nil || s == "P" {
		return Period{}, fmt.Errorf("period %q is not an ISO 8601 period like P7Y, P18M or P30D", s)
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	return Period{Years: atoi(m[1]), Months: atoi(m[2]), Days: atoi(m[3]), Text: s}, nil
}

// AddTo returns t moved forward by the period.
func (p Period) AddTo(t time.Time) time.Time {
	return t.AddDate(p.Years, p.Months, p.Days)
}

func parseRetention(v any) (*Retention, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("must be a mapping with basis, law, period, after and keep")
	}
	r := &Retention{}
	r.Basis, _ = m["basis"].(string)
	r.Law, _ = m["law"].(string)
	r.After, _ = m["after"].(string)
	switch r.Basis {
	case "legal-obligation", "legitimate-interest", "contract", "consent":
	default:
		return nil, fmt.Errorf("basis %q: use legal-obligation, legitimate-interest, contract or consent", r.Basis)
	}
	if r.After == "" || r.Law == "" {
		return nil, errors.New("law and after (the date field the period counts from) are required")
	}
	ps, _ := m["period"].(string)
	p, err := ParsePeriod(ps)
	if err != nil {
		return nil, err
	}
	r.Period = p
	keep, _ := m["keep"].([]any)
	for _, x := range keep {
		s, ok := x.(string)
		if !ok {
			return nil, errors.New("keep must list field names")
		}
		r.Keep = append(r.Keep, s)
	}
	return r, nil
}
