package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
	"github.com/vts/dossier/internal/safefile"
)

// localMirror is a bare repository on a mounted disk.
//
// Objects travel as one pack made by "git pack-objects" in the live
// repository and indexed by "git index-pack" in the mirror, rather than by
// go-git's Push: go-git walks every object reachable from the mirror's refs
// before sending anything (revlist.ObjectsWithStorageForIgnores), so one
// new commit would cost as much as the whole history, and its delta search
// re-compresses every object where git reuses the deltas already on disk.
// index-pack hashes every object it receives, so what arrives is verified.
// Refs and the manifest are written here; every git run goes through repo.
type localMirror struct {
	path string
}

// git runs git on the mirror.
func (l *localMirror) git() repo.Git { return repo.AtGitDir(l.path) }

func (l *localMirror) exists() (bool, error) {
	_, err := os.Stat(filepath.Join(l.path, "objects"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (l *localMirror) state(create bool, ids []string) (*state, error) {
	st := &state{}
	ok, err := l.exists()
	if err != nil {
		return nil, err
	}
	if !ok && create {
		if err := l.create(); err != nil {
			return nil, err
		}
		ok, st.created = true, true
	}
	if st.exists = ok; !ok {
		return st, nil
	}
	if st.refs, err = mirrorRefsOf(l.git(), l.path); err != nil {
		return nil, err
	}
	if st.present, err = presentIn(l.git(), ids); err != nil {
		return nil, fmt.Errorf("the mirror %s: %w", l.path, err)
	}
	if data, err := os.ReadFile(filepath.Join(l.path, ManifestFile)); err == nil {
		st.manifest, _ = ParseManifest(data)
	}
	return st, nil
}

func (l *localMirror) create() error {
	parent := filepath.Dir(l.path)
	if _, err := os.Stat(parent); err != nil {
		return fmt.Errorf("%s does not exist: is the backup disk mounted?", parent)
	}
	if err := notMirror(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// No template: the user's init.templateDir (hooks, excludes) has no
	// place in a backup.
	if _, err := repo.At(parent).Run("init", "--quiet", "--bare", "--template=", "--", l.path); err != nil {
		return fmt.Errorf("creating the mirror %s: %w", l.path, err)
	}
	return nil
}

func (l *localMirror) push(root string, src, before Refs, progress io.Writer) error {
	// Leftovers of an index-pack killed half-way are never referenced;
	// drop them so they cannot hold data a purge has removed since.
	if tmps, _ := filepath.Glob(filepath.Join(l.path, "objects", "pack", "tmp_*")); len(tmps) > 0 {
		for _, t := range tmps {
			if err := os.Remove(t); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("removing %s, left by an interrupted backup (it may hold erased data): %w", t, err)
			}
		}
	}
	have := map[string]bool{}
	for _, v := range before.Refs {
		have[v] = true
	}
	var wants []string
	seen := map[string]bool{}
	for _, v := range src.Refs {
		if !have[v] && !seen[v] {
			wants = append(wants, v)
			seen[v] = true
		}
	}
	// Only what both sides have can be left out: after a purge the
	// mirror's tips are commits the live repository no longer holds.
	haves, err := presentIn(repo.At(root), keys(boolKeysOf(have)))
	if err != nil {
		return fmt.Errorf("the live repository: %w", err)
	}
	sort.Strings(wants)
	if len(wants) > 0 {
		if err := l.sendPack(root, wants, haves, len(before.Refs) > 0, progress); err != nil {
			return err
		}
		crashPoint("after-pack")
	}
	return l.writeRefs(src)
}

// sendPack moves the objects reachable from wants and not from haves into
// the mirror and checks that they connect to what its refs reach, as
// receive-pack checks a push. For an incremental backup the check is
// index-pack --strict: every object a new object names must exist, which
// with a mirror that is itself complete means the new refs are complete;
// it costs what the new objects cost. git's own check (rev-list --objects
// --not --all) marks the whole tree of every old tip, a cost that grows
// with the repository; it is used for a first backup, where everything is
// new anyway, and as the fallback when --strict's object checks refuse an
// odd but valid old object.
func (l *localMirror) sendPack(root string, wants, haves []string, incremental bool, progress io.Writer) error {
	if incremental {
		if err := l.pipePack(root, wants, haves, true, progress); err == nil {
			return nil
		}
	}
	if err := l.pipePack(root, wants, haves, false, progress); err != nil {
		return err
	}
	in := strings.NewReader(strings.Join(wants, "\n") + "\n")
	if _, err := l.git().RunInput(in, "rev-list", "--objects", "--quiet", "--stdin", "--not", "--all"); err != nil {
		return fmt.Errorf("the new objects do not connect in the mirror: %w", err)
	}
	return nil
}

// pipePack runs git pack-objects in the live repository into git
// index-pack in the mirror. index-pack hashes every object it receives and
// writes the index last, so the pack counts only once it is whole.
func (l *localMirror) pipePack(root string, wants, haves []string, strict bool, progress io.Writer) error {
	var in strings.Builder
	for _, w := range wants {
		in.WriteString(w + "\n")
	}
	for _, h := range haves {
		in.WriteString("^" + h + "\n")
	}
	var packErr, idxErr bytes.Buffer
	pack := repo.At(root).Command("pack-objects", "--revs", "--stdout", "--delta-base-offset", "--all-progress-implied")
	pack.Stdin = strings.NewReader(in.String())
	pack.Stderr = &packErr
	if progress != nil {
		pack.Args = append(pack.Args, "--progress")
		pack.Stderr = progress
	} else {
		pack.Args = append(pack.Args, "-q")
	}
	idx := l.git().Command("index-pack", "--stdin")
	if strict {
		idx.Args = append(idx.Args, "--strict")
	}
	idx.Stdout = io.Discard
	idx.Stderr = &idxErr
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	pack.Stdout, idx.Stdin = pw, pr
	if err := idx.Start(); err != nil {
		// Both ends of a pipe nobody used: closing them only frees descriptors.
		_ = pr.Close()
		_ = pw.Close()
		return err
	}
	// The child holds its own copy of the read end; ours only frees a
	// descriptor, and index-pack reports a short pack itself.
	_ = pr.Close()
	perr := pack.Run()
	// Closing our write end tells index-pack the pack has ended; a failed
	// close leaves it a short pack, which its Wait below reports.
	_ = pw.Close()
	ierr := idx.Wait()
	if perr != nil {
		return fmt.Errorf("git pack-objects: %v: %s", perr, strings.TrimSpace(packErr.String()))
	}
	if ierr != nil {
		return fmt.Errorf("git index-pack: %v: %s", ierr, strings.TrimSpace(idxErr.String()))
	}
	return nil
}

// writeRefs makes the mirror's refs equal to src in one atomic rename of
// packed-refs, then removes loose refs (which would shadow it) and points
// HEAD at the live repository's branch.
func (l *localMirror) writeRefs(src Refs) error {
	var b strings.Builder
	b.WriteString("# pack-refs with: sorted \n")
	for _, name := range keys(src.Refs) {
		fmt.Fprintf(&b, "%s %s\n", src.Refs[name], name)
	}
	if err := safefile.Write(filepath.Join(l.path, "packed-refs"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	err := filepath.WalkDir(filepath.Join(l.path, "refs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			return os.Remove(p)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("removing loose refs: %w", err)
	}
	if old, err := os.ReadFile(filepath.Join(l.path, "HEAD")); err == nil && string(old) == "ref: "+src.Head+"\n" {
		return nil
	}
	if src.Head != "" {
		return safefile.Write(filepath.Join(l.path, "HEAD"), []byte("ref: "+src.Head+"\n"), 0o644)
	}
	return nil
}

// presentIn returns which of ids the repository g runs on holds, asking
// git: go-git would first read every pack index whole, a cost that grows
// with the repository, where git looks ids up in the mapped index.
// Replace refs are ignored (repo.Git always passes --no-replace-objects),
// so a purged id is never answered by its replacement.
func presentIn(g repo.Git, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := g.RunInput(strings.NewReader(strings.Join(ids, "\n")+"\n"), "cat-file", "--batch-check")
	if err != nil {
		return nil, err
	}
	return parseBatchCheck(string(out)), nil
}

// parseBatchCheck reads "git cat-file --batch-check" output: the ids
// that are not "missing".
func parseBatchCheck(out string) []string {
	var present []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] != "missing" {
			present = append(present, f[0])
		}
	}
	return present
}

func boolKeysOf(m map[string]bool) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = k
	}
	return out
}

// prune deletes every object no ref reaches. Real git: go-git cannot
// rewrite or delete packs, and the old objects are inside packs.
func (l *localMirror) prune() error {
	for _, args := range [][]string{
		{"reflog", "expire", "--expire=now", "--all"},
		{"gc", "--prune=now", "--quiet"},
	} {
		if _, err := l.git().Run(args...); err != nil {
			return err
		}
	}
	return nil
}

func (l *localMirror) checkAll(secondOpinion bool, progress io.Writer) (int, Findings, error) {
	refs, err := mirrorRefsOf(l.git(), l.path)
	if err != nil {
		return 0, nil, err
	}
	r, err := repo.Open(l.path)
	if err != nil {
		return 0, nil, fmt.Errorf("the mirror %s: %w", l.path, err)
	}
	n, p := readAll(r.Storer, refs, progress)
	if secondOpinion {
		// git fsck also reads pack data no ref reaches and checks each
		// pack's checksum. It exits non-zero for what it found; what it
		// found is on both of its streams.
		out, err := l.git().Run("fsck", "--full", "--no-dangling", "--no-progress")
		var ge *repo.Error
		switch {
		case errors.As(err, &ge) && ge.Code > 0:
			p = append(p, fsckProblems("git fsck: ", string(out)+"\n"+ge.Stderr, err)...)
		case err != nil:
			return 0, nil, err
		}
	}
	return n, p, nil
}

// fsckProblems turns what git fsck reported into problems (a few lines,
// then a count): a mirror fsck finds fault with is damaged.
func fsckProblems(prefix, report string, err error) Findings {
	var lines []string
	for _, l := range strings.Split(report, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var p Findings
	for i, line := range lines {
		if i == 5 {
			p = append(p, problem(Damaged, "%s... %d more", prefix, len(lines)-i))
			break
		}
		p = append(p, problem(Damaged, "%s%s", prefix, line))
	}
	if len(p) == 0 {
		p = Findings{problem(Damaged, "%sfailed: %v", prefix, err)}
	}
	return p
}

// mirrorRefsOf reads a mirror's refs. A ref git cannot list (its object
// is missing) makes the mirror damaged, not the run failed: the admin
// is told to write a new one.
func mirrorRefsOf(g repo.Git, where string) (Refs, error) {
	refs, err := gitRefs(g)
	var ge *repo.Error
	if errors.As(err, &ge) && ge.Code > 0 {
		// git's last line says what stopped it (a missing object); the
		// lines before, which pack; one line for the report.
		lines := strings.Split(ge.Stderr, "\n")
		return Refs{}, Findings{problem(Damaged, "the refs of the mirror %s cannot be read: git %s", where, strings.TrimSpace(lines[len(lines)-1]))}
	}
	return refs, err
}

func (l *localMirror) checkPacks(rec PackRecord, all bool, progress io.Writer) (PackCheck, PackRecord, Findings, error) {
	return checkPacks(l.path, rec, all, progress)
}

func (l *localMirror) writeManifest(data []byte) error {
	return safefile.Write(filepath.Join(l.path, ManifestFile), data, 0o644)
}

func (l *localMirror) identity(subjects []record.Subject) (*identity.Found, error) {
	return identity.Scan(l.path, subjects)
}
