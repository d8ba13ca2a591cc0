package request

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"
	"sync"

	"github.com/vts/dossier/internal/schema"
)

// The access report is one HTML file with its style inline and no link,
// script, image or font loaded from anywhere: it opens the same from a
// USB stick as in a mail client, and tells no server that it was read.
// It is written for the person it is about, who has never seen the
// repository: it opens with who sends it and whom it is about, answers
// every item of GDPR art. 15(1)(a)-(h) and 15(2) in words, then lists the
// data with the schema's labels, in the schema's order, values in the
// reader's own notation (1 maart 2026, 149,50 €). It prints on A4 as it
// reads on a phone. Each language has its own page, so that a translator
// reads whole sentences rather than fragments.
const reportHead = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.PageTitle}}: {{.Name}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 50em; margin: 0 auto; padding: 1.5em 1em 3em; color: #1d1d1f; line-height: 1.5; }
header.sender { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5em 2em; border-bottom: 3px solid #1d4e89; padding-bottom: .75em; margin-bottom: 1.5em; font-size: .95em; }
header.sender strong { font-size: 1.15em; color: #1d4e89; }
h1 { font-size: 1.6em; margin: .2em 0 .4em; line-height: 1.25; }
h2 { font-size: 1.25em; margin-top: 2.2em; border-bottom: 1px solid #c8ced6; padding-bottom: .2em; color: #1d4e89; }
h3 { font-size: 1.05em; margin: 1.6em 0 .4em; }
.who { background: #eef3f9; border-left: 4px solid #1d4e89; padding: .75em 1em; margin: 1em 0; }
.note { color: #4a4f57; font-size: .95em; }
.warn { background: #fff7e0; border-left: 4px solid #c98a00; padding: .6em 1em; }
dl.art15 > div { display: grid; grid-template-columns: 13em 1fr; gap: 1.2em; padding: .6em 0; border-bottom: 1px solid #e3e6ea; }
dl.art15 dt { font-weight: 600; } dl.art15 dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 1.2em; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .35em .5em; border-bottom: 1px solid #e3e6ea; overflow-wrap: anywhere; }
th { width: 38%; font-weight: normal; color: #4a4f57; }
.id { color: #6b7079; font-weight: normal; font-size: .9em; }
footer { margin-top: 3em; border-top: 1px solid #c8ced6; padding-top: .75em; font-size: .9em; color: #4a4f57; }
@media (max-width: 40em) {
  body { padding: 1em .75em 2em; font-size: 16px; }
  dl.art15 > div { grid-template-columns: 1fr; gap: .2em; }
  th, td { display: block; width: auto; border: 0; padding: .1em 0; }
  th { padding-top: .5em; font-size: .9em; } tr { display: block; border-bottom: 1px solid #e3e6ea; padding-bottom: .35em; }
}
@media print {
  @page { size: A4; margin: 18mm 16mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; color: #000; }
  h2 { break-after: avoid; } h3 { break-after: avoid; } table, tr, .who, dl.art15 div { break-inside: avoid; }
  header.sender strong, h2 { color: #000; } .who, .warn { background: none; }
}
</style>
</head>
<body>
<header class="sender"><div><strong>{{.C.Name}}</strong><br>{{.C.Address}}</div><div>{{.C.PrivacyContact}}<br>{{.C.Email}}{{if .C.Phone}}<br>{{.C.Phone}}{{end}}</div></header>
`

const reportRecords = `{{range .Records}}<h3>{{.Title}} <span class="id">{{.ID}}</span>{{if .PartLabel}} › {{.PartLabel}}{{end}}</h3>
<table>
{{range .Rows}}<tr><th>{{.Field}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}`

// reportTemplates are parsed on first use, by the one command that renders
// a report: every other dossier process (a textconv per file of "git log
// -p") would pay for parsing them at start-up.
var reportTemplates = sync.OnceValue(func() map[Language]*template.Template {
	return map[Language]*template.Template{
		English: template.Must(template.New("en").Parse(reportHead + `<h1>Your personal data held by {{.C.Name}}</h1>
<div class="who"><p>This report is about <strong>{{.Name}}</strong>.</p>
<p>{{if .Copy.Subject.User}}In our records you are <strong>{{.Copy.Subject.User}}</strong>, a user at our customer {{.Org}}. Wherever <strong>{{.Copy.Subject.User}}</strong> appears below, it means you.{{else}}In our records you are customer <strong>{{.Copy.Subject.Customer}}</strong>. Wherever <strong>{{.Copy.Subject.Customer}}</strong> appears below, it means you.{{end}}</p></div>
<p>This is our answer to your request for access (GDPR article 15), reference <strong>{{.Copy.Request}}</strong>, made on {{.Date}}.
It lists every piece of data we hold about you, and what we do with it. The same data is in <code>subject.json</code>, a machine-readable copy you may take elsewhere (article 20).</p>
{{if .Withheld}}<p class="note">Passwords and other credentials are listed as "{{.WithheldText}}" ({{.Withheld}} in all): we keep them to support you, but do not send them in a report. Ask us if you need them.</p>{{end}}
{{if .Redacted}}<p class="note">Some notes are listed as "{{.RedactedText}}": they are also about other people, whose rights we must respect as well (article 15(4)). Ask us if you need them and we will look at what we can give you.</p>{{end}}

<h2>What we do with your data</h2>
<dl class="art15">
<div><dt>Purposes (a)</dt><dd>{{range .Copy.Categories}}<strong>{{.Title}}:</strong> {{.Purpose}}<br>{{end}}</dd></div>
<div><dt>Categories of data (b)</dt><dd>{{range .Copy.Categories}}<strong>{{.Title}}:</strong> {{.Description}}<br>{{end}}</dd></div>
<div><dt>Recipients (c)</dt><dd>{{if .Copy.Controller.Recipients}}{{range .Copy.Controller.Recipients}}{{.}}<br>{{end}}Nobody else outside our company receives your data.{{else}}Nobody outside our company. Only our own staff who provide the support see your data.{{end}}</dd></div>
<div><dt>How long we keep it (d)</dt><dd>{{range .Copy.Categories}}<strong>{{.Title}}:</strong> {{.Retention}}<br>{{end}}</dd></div>
<div><dt>Your rights (e, f)</dt><dd>See "Your rights" below.</dd></div>
<div><dt>Where the data comes from (g)</dt><dd>{{.Copy.Source}}</dd></div>
<div><dt>Automated decisions (h)</dt><dd>We make no decisions about you by automated means, and we do not profile you (article 22).</dd></div>
<div><dt>Outside the EU (article 15(2))</dt><dd>Your data stays on our own servers in our company, never on the internet and never outside the European Union; backups go to media that stay inside the company.</dd></div>
</dl>

<h2>The data</h2>
` + reportRecords + `{{if .Mentions}}
<h2>Where our other records mention you</h2>
<p class="note">These fields of other records about your organisation hold your name, e-mail address, phone number or login.</p>
<table>
{{range .Mentions}}<tr><th>{{.Title}} › {{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}
<h2>Your rights</h2>
<ul>
<li><strong>Rectification</strong> (article 16): tell us what is wrong and we correct it.</li>
<li><strong>Erasure</strong> (article 17): we remove your data, except what a legal obligation makes us keep, as stated above, and only until that period ends.</li>
<li><strong>Restriction</strong> (article 18): while we check a correction or an objection, we use your data only to store it.</li>
<li><strong>Objection</strong> (article 21) to processing based on our legitimate interest (the support and maintenance history).</li>
<li><strong>Portability</strong> (article 20): <code>subject.json</code> holds the same data in a machine-readable form.</li>
<li><strong>Complaint</strong> (article 77): you may lodge a complaint with the Belgian supervisory authority, the Gegevensbeschermingsautoriteit (GBA) / Autorité de protection des données (APD), Drukpersstraat 35 / Rue de la Presse 35, 1000 Brussel / Bruxelles, contact@apd-gba.be, +32 2 274 48 00.</li>
</ul>
<footer>To use any of these rights, or with a question about this report, write to {{.C.PrivacyContact}} at <strong>{{.C.Email}}</strong>{{if .C.Phone}} or call {{.C.Phone}}{{end}}, quoting reference {{.Copy.Request}}. We answer within one month of receipt (article 12(3)).<br>{{.C.Name}}, {{.C.Address}}</footer>
</body>
</html>
`)),
		Dutch: template.Must(template.New("nl").Parse(reportHead + `<h1>Uw persoonsgegevens bij {{.C.Name}}</h1>
<div class="who"><p>Dit rapport gaat over <strong>{{.Name}}</strong>.</p>
<p>{{if .Copy.Subject.User}}In onze registers bent u <strong>{{.Copy.Subject.User}}</strong>, een gebruiker bij onze klant {{.Org}}. Waar hieronder <strong>{{.Copy.Subject.User}}</strong> staat, gaat het over u.{{else}}In onze registers bent u klant <strong>{{.Copy.Subject.Customer}}</strong>. Waar hieronder <strong>{{.Copy.Subject.Customer}}</strong> staat, gaat het over u.{{end}}</p></div>
<p>Dit is ons antwoord op uw verzoek om inzage (artikel 15 AVG), referentie <strong>{{.Copy.Request}}</strong>, opgemaakt op {{.Date}}.
Het vermeldt alle gegevens die wij over u bijhouden, en wat wij ermee doen. Dezelfde gegevens staan in <code>subject.json</code>, een machineleesbare kopie die u naar een andere dienstverlener kunt meenemen (artikel 20).</p>
{{if .Withheld}}<p class="note">Paswoorden en andere aanmeldingsgegevens staan vermeld als "{{.WithheldText}}" ({{.Withheld}} in totaal): wij bewaren ze om u te kunnen ondersteunen, maar sturen ze niet mee in een rapport. Vraag ons ernaar als u ze nodig hebt.</p>{{end}}
{{if .Redacted}}<p class="note">Sommige notities staan vermeld als "{{.RedactedText}}": ze gaan ook over andere mensen, wier rechten wij evengoed moeten beschermen (artikel 15, lid 4). Vraag ons ernaar als u ze nodig hebt; wij bekijken dan wat wij u kunnen geven.</p>{{end}}

<h2>Wat wij met uw gegevens doen</h2>
<dl class="art15">
<div><dt>Doeleinden (a)</dt><dd>{{range .Copy.Categories}}<strong>{{.Title}}:</strong> {{.Purpose}}<br>{{end}}</dd></div>
<div><dt>Soorten gegevens (b)</dt><dd>{{range .Copy.Categories}}<strong>{{.Title}}:</strong> {{.Description}}<br>{{end}}</dd></div>
<div><dt>Ontvangers (c)</dt><dd>{{if .Copy.Controller.Recipients}}{{range .Copy.Controller.Recipients}}{{.}}<br>{{end}}Niemand anders buiten ons bedrijf ontvangt uw gegevens.{{else}}Niemand buiten ons bedrijf. Enkel onze eigen medewerkers die de ondersteuning verzorgen, zien uw gegevens.{{end}}</dd></div>
<div><dt>Bewaartermijn (d)</dt><dd>{{range .Copy.Categories}}<strong>{{.Title}}:</strong> {{.Retention}}<br>{{end}}</dd></div>
<div><dt>Uw rechten (e, f)</dt><dd>Zie „Uw rechten” hieronder.</dd></div>
<div><dt>Herkomst van de gegevens (g)</dt><dd>{{.Copy.Source}}</dd></div>
<div><dt>Geautomatiseerde besluiten (h)</dt><dd>Wij nemen geen besluiten over u op basis van geautomatiseerde verwerking, en wij maken geen profiel van u op (artikel 22).</dd></div>
<div><dt>Buiten de EU (artikel 15, lid 2)</dt><dd>Uw gegevens blijven op onze eigen servers in ons bedrijf, nooit op het internet en nooit buiten de Europese Unie; back-ups gaan naar media die het bedrijf niet verlaten.</dd></div>
</dl>

<h2>De gegevens</h2>
` + reportRecords + `{{if .Mentions}}
<h2>Waar onze andere gegevens u vermelden</h2>
<p class="note">Deze velden van andere gegevens over uw organisatie bevatten uw naam, e-mailadres, telefoonnummer of login.</p>
<table>
{{range .Mentions}}<tr><th>{{.Title}} › {{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}
<h2>Uw rechten</h2>
<ul>
<li><strong>Verbetering</strong> (artikel 16): laat ons weten wat niet klopt, en wij verbeteren het.</li>
<li><strong>Wissing</strong> (artikel 17): wij verwijderen uw gegevens, behalve wat een wettelijke verplichting ons doet bewaren, zoals hierboven vermeld, en enkel tot die termijn verstreken is.</li>
<li><strong>Beperking</strong> (artikel 18): terwijl wij een verbetering of een bezwaar nagaan, bewaren wij uw gegevens enkel, zonder ze verder te gebruiken.</li>
<li><strong>Bezwaar</strong> (artikel 21) tegen de verwerking op grond van ons gerechtvaardigd belang (de geschiedenis van ondersteuning en onderhoud).</li>
<li><strong>Overdraagbaarheid</strong> (artikel 20): <code>subject.json</code> bevat dezelfde gegevens in een machineleesbare vorm.</li>
<li><strong>Klacht</strong> (artikel 77): u kunt een klacht indienen bij de Gegevensbeschermingsautoriteit (GBA), Drukpersstraat 35, 1000 Brussel, contact@apd-gba.be, +32 2 274 48 00.</li>
</ul>
<footer>Om een van deze rechten uit te oefenen, of met een vraag over dit rapport, schrijft u naar {{.C.PrivacyContact}} op <strong>{{.C.Email}}</strong>{{if .C.Phone}} of belt u {{.C.Phone}}{{end}}, met vermelding van referentie {{.Copy.Request}}. Wij antwoorden binnen een maand na ontvangst (artikel 12, lid 3).<br>{{.C.Name}}, {{.C.Address}}</footer>
</body>
</html>
`)),
	}
})

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

func renderHTML(cp *Copy, set *schema.Set, lang Language, res *Exported) ([]byte, error) {
	titles := map[string]string{}
	for _, c := range cp.Categories {
		titles[c.Kind] = c.Title
	}
	data := struct {
		Lang                       Language
		PageTitle, Name, Org, Date string
		C                          Controller
		Copy                       *Copy
		Withheld, Redacted         int
		WithheldText, RedactedText string
		Records                    []reportRecord
		Mentions                   []reportMention
	}{Lang: lang, PageTitle: "Your personal data", Copy: cp, C: cp.Controller, Date: lang.Date(cp.Date),
		Withheld: res.Withheld, Redacted: res.Redacted, WithheldText: lang.Withheld(ReasonSecret), RedactedText: lang.Withheld(ReasonOthers)}
	if lang == Dutch {
		data.PageTitle = "Uw persoonsgegevens"
	}
	data.Name = cp.Subject.Name
	if data.Name == "" {
		data.Name = cp.Subject.ID
	}
	data.Org = cp.Subject.Customer
	if cp.Subject.CustomerName != "" {
		data.Org = cp.Subject.CustomerName + " (" + cp.Subject.Customer + ")"
	}
	for _, h := range cp.Records {
		r := reportRecord{Held: h, Title: titles[h.Kind]}
		var n *schema.Node
		if k := set.Kinds[h.Kind]; k != nil {
			n = k.Root
		}
		f := flattener{lang: lang, user: cp.Subject.User, org: data.Org}
		if h.Part != "" {
			n, r.PartLabel = f.descend(n, h.Part)
		}
		f.flat(n, r.PartLabel, h.Data, h.Part == "", &r.Rows)
		if h.Part != "" {
			// The part's own label heads its table; rows name the fields.
			for i := range r.Rows {
				r.Rows[i].Field = strings.TrimPrefix(r.Rows[i].Field, r.PartLabel+" › ")
			}
		}
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
	if err := reportTemplates()[lang].Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// flattener lists a value's leaves as rows named by the schema's labels
// in the report's language, lists counted from 1 (Account 1 › Password),
// fields in the order the schema writes them.
type flattener struct {
	lang Language
	user string // the subject user, shown as "you"
	org  string // the customer's id with its name: Bakkerij Peeters (c-0042)
}

func (f flattener) join(label, key string) string {
	if label == "" {
		return key
	}
	return label + " › " + key
}

// descend follows a dotted part path (devices.2) from n, returning the
// subschema there and the part's label.
func (f flattener) descend(n *schema.Node, part string) (*schema.Node, string) {
	label := ""
	for _, seg := range strings.Split(part, ".") {
		n, label = f.child(n, label, seg)
	}
	return n, label
}

// child is the subschema and label of one step into a mapping or list.
func (f flattener) child(n *schema.Node, label, seg string) (*schema.Node, string) {
	if i, err := strconv.Atoi(seg); err == nil {
		// A list item: "Toestellen › Toestel 1" reads as "Toestel 1".
		parent, listLabel := label, label
		if k := strings.LastIndex(label, " › "); k >= 0 {
			parent, listLabel = label[:k], label[k+len(" › "):]
		} else {
			parent = ""
		}
		item := f.lang.itemLabel(n, listLabel, i)
		if n != nil {
			n = n.Items
		}
		return n, f.join(parent, item)
	}
	var c *schema.Node
	if n != nil {
		c = n.Props[seg]
	}
	return c, f.join(label, f.lang.label(c, seg))
}

// flat appends a row per leaf of v. At the top of a whole record the
// fields that only place it (kind, id, customer) are left out: the
// heading says them.
func (f flattener) flat(n *schema.Node, label string, v any, top bool, rows *[]row) {
	if reason, ok := IsWithheld(v); ok {
		*rows = append(*rows, row{label, f.lang.Withheld(reason)})
		return
	}
	switch t := v.(type) {
	case map[string]any:
		var keys []string
		if n != nil {
			keys = append(keys, n.Order...)
		}
		for _, k := range keys {
			if _, ok := t[k]; !ok {
				continue
			}
			if top && (k == "kind" || k == "id") {
				continue
			}
			c, l := f.child(n, label, k)
			if top && k == "customer" {
				*rows = append(*rows, row{l, f.org})
				continue
			}
			f.flat(c, l, t[k], false, rows)
		}
	case []any:
		if len(t) == 0 {
			*rows = append(*rows, row{label, f.lang.none()})
			return
		}
		if scalars(t) {
			var vals []string
			for _, c := range t {
				var cn *schema.Node
				if n != nil {
					cn = n.Items
				}
				vals = append(vals, f.scalar(cn, c))
			}
			*rows = append(*rows, row{label, strings.Join(vals, ", ")})
			return
		}
		for i, c := range t {
			cn, l := f.child(n, label, strconv.Itoa(i))
			f.flat(cn, l, c, false, rows)
		}
	default:
		*rows = append(*rows, row{label, f.scalar(n, t)})
	}
}

// scalar shows one value: the subject's own id as "you", a customer id
// with the word customer, everything else through the language.
func (f flattener) scalar(n *schema.Node, v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok && n != nil {
		switch {
		case n.Ref == "user" && s == f.user:
			if f.lang == English {
				return "you (" + s + ")"
			}
			return "u (" + s + ")"
		case n.Ref == "user" && f.lang == English:
			return "user " + s
		case n.Ref == "user":
			return "gebruiker " + s
		}
	}
	return f.lang.value(n, v)
}

func scalars(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}
