package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The access report is read by a person, on a desktop, on a phone, on
// paper: its test renders it in a real browser (headless Chromium, the
// Debian package that "make test" installs) at desktop and phone width,
// checks the rendered page for every section the report must have, and
// keeps the screenshots (and the page printed to A4 as a PDF) as test
// artifacts for a person to look at.
var renderWidths = []struct {
	name          string
	width, height int
}{
	{"desktop", 1280, 3000},
	{"phone", 390, 8000},
}

// chromium finds the browser; Debian calls it chromium.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactsDir is where screenshots are kept: $DOSSIER_ARTIFACTS, or
// test-artifacts/ at the module root (ignored by git).
func artifactsDir(ts *testscript.TestScript) string {
	dir := os.Getenv("DOSSIER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(ts.Getenv("SRCROOT"), "test-artifacts")
	}
	return filepath.Join(dir, "report")
}

// cmdReportRender renders an HTML file in headless Chromium at each width,
// fails unless the rendered page holds every given text, and writes
// NAME-desktop.png and NAME-phone.png to the artifacts directory. It skips
// nowhere itself: a script skips with "[!exec:chromium] [!ci] skip", so
// that in CI (CI set) a missing browser fails the test.
//
//	report-render FILE NAME TEXT...
func cmdReportRender(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: report-render FILE NAME TEXT...")
	}
	browser := chromium()
	if browser == "" {
		ts.Fatalf("chromium is not installed (apt-get install chromium, or make deps): the report must be rendered")
	}
	page, err := filepath.Abs(ts.MkAbs(args[0]))
	ts.Check(err)
	out := artifactsDir(ts)
	ts.Check(os.MkdirAll(out, 0o755))
	profile := ts.MkAbs("chromium-profile")
	for _, w := range renderWidths {
		png := filepath.Join(out, args[1]+"-"+w.name+".png")
		common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
			"--user-data-dir=" + profile, "--window-size=" + strconv.Itoa(w.width) + "," + strconv.Itoa(w.height)}
		dom := runChromium(ts, browser, append(common, "--dump-dom", "file://"+page)...)
		text := pageText(dom)
		for _, want := range args[2:] {
			if !strings.Contains(text, want) {
				ts.Fatalf("%s at %s width: the rendered page lacks %q", args[0], w.name, want)
			}
		}
		runChromium(ts, browser, append(common, "--screenshot="+png, "file://"+page)...)
		checkScreenshot(ts, png, w.width)
		ts.Logf("screenshot %s (%d px wide)", png, w.width)
	}
	// On paper (A4, the print style sheet): kept as a PDF beside the PNGs.
	pdf := filepath.Join(out, args[1]+".pdf")
	runChromium(ts, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir="+profile,
		"--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+page)
	data, err := os.ReadFile(pdf)
	ts.Check(err)
	if !strings.HasPrefix(string(data), "%PDF-") || len(data) < 2000 {
		ts.Fatalf("%s is not a printed report", pdf)
	}
	ts.Logf("printed %s (%d bytes)", pdf, len(data))
}

func runChromium(ts *testscript.TestScript, browser string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		ts.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// pageText is the rendered DOM's text with tags removed (block tags read
// as a space, inline ones as nothing) and white space folded, so a check
// reads like the page does.
func pageText(dom string) string {
	inline := map[string]bool{"strong": true, "span": true, "code": true, "em": true, "b": true, "a": true}
	var b strings.Builder
	for {
		i := strings.IndexByte(dom, '<')
		if i < 0 {
			b.WriteString(dom)
			break
		}
		b.WriteString(dom[:i])
		j := strings.IndexByte(dom[i:], '>')
		if j < 0 {
			break
		}
		name := strings.TrimPrefix(strings.Fields(dom[i+1 : i+j])[0], "/")
		if !inline[strings.ToLower(name)] {
			b.WriteByte(' ')
		}
		dom = dom[i+j+1:]
	}
	s := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#39;", "'", "&#43;", "+").Replace(b.String())
	return strings.Join(strings.Fields(s), " ")
}

// checkScreenshot fails unless the file is a PNG of the given width with
// something drawn on it (not one flat colour).
func checkScreenshot(ts *testscript.TestScript, file string, width int) {
	f, err := os.Open(file)
	ts.Check(err)
	defer f.Close()
	img, err := png.Decode(f)
	ts.Check(err)
	if img.Bounds().Dx() != width {
		ts.Fatalf("%s is %d px wide, want %d", file, img.Bounds().Dx(), width)
	}
	if flat(img) {
		ts.Fatalf("%s is blank", file)
	}
}

func flat(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if r, g, bl, _ := img.At(x, y).RGBA(); r != r0 || g != g0 || bl != b0 {
				return false
			}
		}
	}
	return true
}

// condition answers the scripts' own conditions: [ci] is true when the
// CI environment variable is set, as CI systems do.
func condition(cond string) (bool, error) {
	if cond == "ci" {
		return os.Getenv("CI") != "", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
