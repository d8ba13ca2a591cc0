package backup

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestPackDue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fresh := PackEntry{Size: 100, MTime: 5, IdxSize: 10, IdxMTime: 6, Checked: now.Add(-time.Hour).Format(time.RFC3339), Run: 10}
	f := packFile{size: 100, mtime: 5, idxSize: 10, idxMTime: 6, entry: fresh, known: true}
	with := func(change func(*packFile)) packFile {
		g := f
		change(&g)
		return g
	}
	tests := []struct {
		name string
		f    packFile
		run  int
		due  bool
	}{
		{"trusted the next run", f, 11, false},
		{"trusted the 6th run after", f, 16, false},
		{"due the 7th run after", f, 17, true},
		{"unknown pack", with(func(g *packFile) { g.known = false }), 11, true},
		{"size changed", with(func(g *packFile) { g.size++ }), 11, true},
		{"mtime changed", with(func(g *packFile) { g.mtime++ }), 11, true},
		{"index size changed", with(func(g *packFile) { g.idxSize-- }), 11, true},
		{"index mtime changed", with(func(g *packFile) { g.idxMTime++ }), 11, true},
		{"checked 30 days ago", with(func(g *packFile) { g.entry.Checked = now.Add(-RecheckAge).Format(time.RFC3339) }), 11, true},
		{"checked in the future", with(func(g *packFile) { g.entry.Checked = now.Add(time.Hour).Format(time.RFC3339) }), 11, true},
		{"checked time unreadable", with(func(g *packFile) { g.entry.Checked = "yesterday" }), 11, true},
		{"run from a later record", with(func(g *packFile) { g.entry.Run = 11 }), 11, true},
		{"no run", with(func(g *packFile) { g.entry.Run = 0 }), 11, true},
	}
	for _, tt := range tests {
		if got := tt.f.due(tt.run, now); got != tt.due {
			t.Errorf("%s: due = %v, want %v", tt.name, got, tt.due)
		}
	}
}

// TestCheckPacksSpreads: on a mirror of many packs, every pack is read
// again within RecheckRuns runs, and a run reads about a RecheckRuns-th
// of the mirror, not all of it.
func TestCheckPacksSpreads(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	const n = 21
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(string(rune('a'+i))+" some content to make a pack\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "f")
		git("commit", "-q", "-m", "c")
		git("repack", "-q")
	}
	gitDir := filepath.Join(dir, ".git")
	pc, rec, p, err := checkPacks(gitDir, PackRecord{}, false, nil)
	if err != nil || len(p) > 0 {
		t.Fatalf("first run: %v %v", err, p)
	}
	if pc.Packs != n || pc.Trusted != 0 {
		t.Fatalf("first run read %d packs and trusted %d, want all %d read", pc.Packs, pc.Trusted, n)
	}
	lastRead := map[string]int{}
	for name, e := range rec.Packs {
		lastRead[name] = e.Run
	}
	for run := 2; run <= 1+RecheckRuns; run++ {
		var pc PackCheck
		pc, rec, p, err = checkPacks(gitDir, rec, false, nil)
		if err != nil || len(p) > 0 {
			t.Fatalf("run %d: %v %v", run, err, p)
		}
		t.Logf("run %d read %d of %d packs", run, pc.Packs, n)
		// Until the packs of the first run fall due, a run reads its
		// share of the mirror: at least one pack, never most of them.
		if run <= RecheckRuns && (pc.Packs == 0 || pc.Packs > n/RecheckRuns+1) {
			t.Errorf("run %d read %d of %d packs, want about %d", run, pc.Packs, n, n/RecheckRuns)
		}
		for name, e := range rec.Packs {
			lastRead[name] = e.Run
		}
	}
	for name, r := range lastRead {
		if r < 2 {
			t.Errorf("%s was not read again within %d runs", name, RecheckRuns)
		}
	}
	if len(lastRead) != n {
		t.Errorf("%d packs recorded, want %d", len(lastRead), n)
	}

	// A flipped byte, size and times kept, is found within RecheckRuns runs.
	packs, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.pack"))
	victim := packs[0]
	info, err := os.Stat(victim)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x55
	if err := os.Chmod(victim, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(victim, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	found := 0
	for run := 1; run <= RecheckRuns && found == 0; run++ {
		_, next, p, err := checkPacks(gitDir, rec, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			rec = next // a clean run's record is kept (in the manifest)
		} else {
			found = run
			if p[0].Kind != Damaged {
				t.Errorf("problem %q is of kind %d, want Damaged", p[0].Text, p[0].Kind)
			}
		}
	}
	if found == 0 {
		t.Fatalf("a rotted pack was not found within %d runs", RecheckRuns)
	}
	// A failing run records nothing, so the pack is read again on the
	// next; even the record of the failing run leaves it out.
	if _, next, p, _ := checkPacks(gitDir, rec, false, nil); len(p) == 0 {
		t.Error("a pack that failed was trusted on the next run")
	} else if _, ok := next.Packs[filepath.Base(victim)]; ok {
		t.Error("a pack that failed is in the record")
	}
	// No record (a manifest that does not parse) trusts nothing.
	if pc, _, _, _ := checkPacks(gitDir, PackRecord{}, false, nil); pc.Trusted != 0 {
		t.Errorf("without a record %d packs were trusted", pc.Trusted)
	}
}
