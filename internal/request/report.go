package request

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strconv"
)

// The access report is one HTML file with its style inline and no link,
// script, image or font loaded from anywhere: it opens the same from a
// USB stick as in a mail client, and tells no server that it was read.
var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your data held by us ({{.Copy.Subject}})</title>
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
<h1>Your data held by us</h1>
<p>This is our answer to your request for access (GDPR article 15), reference {{.Copy.Request}}, made on {{.Copy.Date}}.
It covers everything we hold about {{.Copy.Subject}}. The same data is in <code>subject.json</code>, a machine-readable copy you may take elsewhere (article 20).</p>
{{if not .Copy.SecretsIncluded}}<p class="note">Passwords and other credentials are listed as "{{.Withheld}}": we keep them to support you, but do not send them in a report. Ask us if you need them.</p>{{end}}

<h2>What we keep, why, and for how long</h2>
{{range .Copy.Categories}}<h3>{{.Title}}</h3>
<p>{{if .Description}}{{.Description}} {{end}}<strong>Purpose:</strong> {{.Purpose}}<br><strong>Retention:</strong> {{.Retention}}</p>
{{end}}
<h2>The data</h2>
{{range .Records}}<h3>{{.Title}} <span class="note">({{.Path}}{{if .Part}}, {{.Part}}{{end}})</span></h3>
<table>
{{range .Rows}}<tr><th>{{.Field}}</th><td>{{.Value}}</td></tr>
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
`))

type reportRecord struct {
	Held
	Title string
	Rows  []row
}

type row struct{ Field, Value string }

func renderHTML(cp *Copy) ([]byte, error) {
	titles := map[string]string{}
	for _, c := range cp.Categories {
		titles[c.Kind] = c.Title
	}
	data := struct {
		Copy     *Copy
		Withheld string
		Records  []reportRecord
	}{Copy: cp, Withheld: Withheld}
	for _, h := range cp.Records {
		r := reportRecord{Held: h, Title: titles[h.Kind]}
		flat(h.Part, h.Data, &r.Rows)
		data.Records = append(data.Records, r)
	}
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// flat lists a value's leaves as dotted field paths, in a stable order.
func flat(prefix string, v any, rows *[]row) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flat(join(k), t[k], rows)
		}
	case []any:
		if len(t) == 0 {
			*rows = append(*rows, row{prefix, "(none)"})
		}
		for i, c := range t {
			flat(join(strconv.Itoa(i)), c, rows)
		}
	case nil:
		*rows = append(*rows, row{prefix, ""})
	default:
		*rows = append(*rows, row{prefix, fmt.Sprint(t)})
	}
}
