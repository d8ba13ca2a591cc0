package request

import (
	"bytes"
	"html/template"
	"sort"
	"strconv"

	"github.com/vts/dossier/internal/schema"
)

// The access report is one HTML file with its style inline and no link,
// script, image or font loaded from anywhere: it opens the same from a
// USB stick as in a mail client, and tells no server that it was read.
// Each language has its own page, so that a translator reads whole
// sentences rather than fragments.
const reportHead = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.PageTitle}} ({{.Copy.Subject}})</title>
<style>
body { font-family: sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
th, td { text-align: left; vertical-align: top; padding: .25em .5em; border-bottom: 1px solid #eee; }
th { width: 35%; font-weight: normal; color: #555; }
.note { color: #555; font-size: .95em; }
</style>
</head>
<body>
`

const reportRecords = `{{range .Records}}<h3>{{.Title}} <span class="note">({{.Path}}{{if .PartLabel}}, {{.PartLabel}}{{end}})</span></h3>
<table>
{{range .Rows}}<tr><th>{{.Field}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}`

var reportTemplates = map[Language]*template.Template{
	English: template.Must(template.New("en").Parse(reportHead + `<h1>Your data held by us</h1>
<p>This is our answer to your request for access (GDPR article 15), reference {{.Copy.Request}}, made on {{.Copy.Date}}.
It covers everything we hold about {{.Copy.Subject}}. The same data is in <code>subject.json</code>, a machine-readable copy you may take elsewhere (article 20).</p>
{{if not .Copy.SecretsIncluded}}<p class="note">Passwords and other credentials are listed as "{{.Withheld}}": we keep them to support you, but do not send them in a report. Ask us if you need them.</p>{{end}}

<h2>What we keep, why, and for how long</h2>
{{range .Copy.Categories}}<h3>{{.Title}}</h3>
<p>{{if .Description}}{{.Description}} {{end}}<strong>Purpose:</strong> {{.Purpose}}<br><strong>Retention:</strong> {{.Retention}}</p>
{{end}}
<h2>The data</h2>
` + reportRecords + `{{if .Mentions}}
<h2>Where our other records mention you</h2>
<p class="note">These fields of other records about your organisation hold your name, e-mail address, phone number or login.</p>
<table>
{{range .Mentions}}<tr><th>{{.Title}} ({{.Path}}), {{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}
<h2>Your rights</h2>
<ul>
<li><strong>Access</strong> (article 15): this report.</li>
<li><strong>Rectification</strong> (article 16): tell us what is wrong and we correct it.</li>
<li><strong>Erasure</strong> (article 17): we remove your data, except what a legal obligation makes us keep, as stated above, and only until that period ends.</li>
<li><strong>Restriction</strong> (article 18) and <strong>objection</strong> (article 21) to processing based on our legitimate interest.</li>
<li><strong>Portability</strong> (article 20): <code>subject.json</code> holds the same data in a machine-readable form.</li>
<li><strong>Complaint</strong> (article 77): you may lodge a complaint with the Belgian supervisory authority, the Gegevensbeschermingsautoriteit (GBA) / Autorité de protection des données (APD), Drukpersstraat 35 / Rue de la Presse 35, 1000 Brussel / Bruxelles, contact@apd-gba.be, +32 2 274 48 00.</li>
</ul>
<p class="note">We answer requests within one month of receipt (article 12(3)). Our data is kept on our own servers only, never on the internet, and backed up to media that stay inside the company.</p>
</body>
</html>
`)),
	Dutch: template.Must(template.New("nl").Parse(reportHead + `<h1>Uw gegevens bij ons</h1>
<p>Dit is ons antwoord op uw verzoek om inzage (artikel 15 AVG), referentie {{.Copy.Request}}, opgemaakt op {{.Copy.Date}}.
Het omvat alles wat wij bijhouden over {{.Copy.Subject}}. Dezelfde gegevens staan in <code>subject.json</code>, een machineleesbare kopie die u naar een andere dienstverlener kunt meenemen (artikel 20).</p>
{{if not .Copy.SecretsIncluded}}<p class="note">Paswoorden en andere aanmeldingsgegevens staan vermeld als "{{.Withheld}}": wij bewaren ze om u te kunnen ondersteunen, maar sturen ze niet mee in een rapport. Vraag ons ernaar als u ze nodig hebt.</p>{{end}}

<h2>Wat wij bijhouden, waarom en hoe lang</h2>
{{range .Copy.Categories}}<h3>{{.Title}}</h3>
<p>{{if .Description}}{{.Description}} {{end}}<strong>Doel:</strong> {{.Purpose}}<br><strong>Bewaartermijn:</strong> {{.Retention}}</p>
{{end}}
<h2>De gegevens</h2>
` + reportRecords + `{{if .Mentions}}
<h2>Waar onze andere gegevens u vermelden</h2>
<p class="note">Deze velden van andere gegevens over uw organisatie bevatten uw naam, e-mailadres, telefoonnummer of login.</p>
<table>
{{range .Mentions}}<tr><th>{{.Title}} ({{.Path}}), {{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}
<h2>Uw rechten</h2>
<ul>
<li><strong>Inzage</strong> (artikel 15): dit rapport.</li>
<li><strong>Verbetering</strong> (artikel 16): laat ons weten wat niet klopt, en wij verbeteren het.</li>
<li><strong>Wissing</strong> (artikel 17): wij verwijderen uw gegevens, behalve wat een wettelijke verplichting ons doet bewaren, zoals hierboven vermeld, en enkel tot die termijn verstreken is.</li>
<li><strong>Beperking</strong> (artikel 18) van en <strong>bezwaar</strong> (artikel 21) tegen de verwerking op grond van ons gerechtvaardigd belang.</li>
<li><strong>Overdraagbaarheid</strong> (artikel 20): <code>subject.json</code> bevat dezelfde gegevens in een machineleesbare vorm.</li>
<li><strong>Klacht</strong> (artikel 77): u kunt een klacht indienen bij de Gegevensbeschermingsautoriteit (GBA), Drukpersstraat 35, 1000 Brussel, contact@apd-gba.be, +32 2 274 48 00.</li>
</ul>
<p class="note">Wij beantwoorden verzoeken binnen een maand na ontvangst (artikel 12, lid 3). Uw gegevens staan enkel op onze eigen servers, nooit op het internet, en worden geback-upt op media die het bedrijf niet verlaten.</p>
</body>
</html>
`)),
}

type reportRecord struct {
	Held
	Title     string
	PartLabel string
	Rows      []row
}

type row struct{ Field, Value string }

// reportMention is a field of another record that mentions the subject.
type reportMention struct {
	Mention
	Title, Label string
}

func renderHTML(cp *Copy, set *schema.Set, lang Language) ([]byte, error) {
	titles := map[string]string{}
	for _, c := range cp.Categories {
		titles[c.Kind] = c.Title
	}
	data := struct {
		Lang      Language
		PageTitle string
		Copy      *Copy
		Withheld  string
		Records   []reportRecord
		Mentions  []reportMention
	}{Lang: lang, PageTitle: "Your data held by us", Copy: cp, Withheld: lang.Withheld()}
	if lang == Dutch {
		data.PageTitle = "Uw gegevens bij ons"
	}
	for _, h := range cp.Records {
		r := reportRecord{Held: h, Title: titles[h.Kind]}
		var n *schema.Node
		if k := set.Kinds[h.Kind]; k != nil {
			n = k.Root
		}
		f := flattener{lang: lang}
		if h.Part != "" {
			n, r.PartLabel = f.descend(n, h.Part)
		}
		f.flat(n, r.PartLabel, h.Data, &r.Rows)
		data.Records = append(data.Records, r)
	}
	for _, m := range cp.Mentions {
		var n *schema.Node
		if k := set.Kinds[m.Kind]; k != nil {
			n = k.Root
		}
		_, label := flattener{lang: lang}.descend(n, m.Field)
		data.Mentions = append(data.Mentions, reportMention{Mention: m, Title: titles[m.Kind], Label: label})
	}
	var b bytes.Buffer
	if err := reportTemplates[lang].Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// flattener lists a value's leaves as rows, named in the report's
// language: in English by their dotted field path (accounts.0.login), in
// Dutch by the schema's labels with lists counted from 1 (Accounts 1 ›
// Login).
type flattener struct{ lang Language }

func (f flattener) join(label, key string) string {
	if label == "" {
		return key
	}
	if f.lang == English {
		return label + "." + key
	}
	return label + " › " + key
}

// descend follows a dotted part path (devices.2) from n, returning the
// subschema there and the part's label.
func (f flattener) descend(n *schema.Node, part string) (*schema.Node, string) {
	label := ""
	for _, seg := range splitDots(part) {
		n, label = f.child(n, label, seg)
	}
	return n, label
}

// child is the subschema and label of one step into a mapping or list.
func (f flattener) child(n *schema.Node, label, seg string) (*schema.Node, string) {
	if i, err := strconv.Atoi(seg); err == nil {
		if n != nil {
			n = n.Items
		}
		if f.lang == English {
			return n, f.join(label, seg)
		}
		return n, label + " " + strconv.Itoa(i+1)
	}
	var c *schema.Node
	if n != nil {
		c = n.Props[seg]
	}
	return c, f.join(label, f.lang.label(c, seg))
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// flat appends a row per leaf of v, in the order of their names as shown.
func (f flattener) flat(n *schema.Node, label string, v any, rows *[]row) {
	switch t := v.(type) {
	case map[string]any:
		type field struct {
			key, label string
			n          *schema.Node
		}
		fields := make([]field, 0, len(t))
		for k := range t {
			c, l := f.child(n, label, k)
			fields = append(fields, field{k, l, c})
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].label < fields[j].label })
		for _, fd := range fields {
			f.flat(fd.n, fd.label, t[fd.key], rows)
		}
	case []any:
		if len(t) == 0 {
			*rows = append(*rows, row{label, f.lang.none()})
		}
		for i, c := range t {
			cn, l := f.child(n, label, strconv.Itoa(i))
			f.flat(cn, l, c, rows)
		}
	case nil:
		*rows = append(*rows, row{label, ""})
	default:
		*rows = append(*rows, row{label, f.lang.value(t)})
	}
}
