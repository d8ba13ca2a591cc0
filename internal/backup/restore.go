package backup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/vts/dossier/internal/ledger"
	"github.com/vts/dossier/internal/purge"
	"github.com/vts/dossier/internal/repo"
)

// Ledger is a set of ledger files as given to restore: each request and
// the exact bytes of its file.
type Ledger struct {
	Requests []*ledger.Request
	Files    map[string][]byte // request id to file contents
	// Repo is the records repository the ledger was read from, when it was
	// given as one (or as its ledger/ folder): the live repository, which
	// holds the versions its erasures wrote (minimised records, mentions
	// replaced) that a backup predating them lacks.
	Repo string
}

// LoadLedger reads a ledger from a file, a ledger folder, or a repository
// root that holds ledger/.
func LoadLedger(p string) (*Ledger, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("--ledger %s: %w", p, err)
	}
	names := []string{p}
	l := &Ledger{Files: map[string][]byte{}}
	if info.IsDir() {
		if sub := filepath.Join(p, ledger.Dir); isDir(sub) {
			p = sub
		}
		if root := filepath.Dir(p); filepath.Base(p) == ledger.Dir && isDir(filepath.Join(root, ".git")) {
			l.Repo = root
		}
		if names, err = filepath.Glob(filepath.Join(p, "DSR-*.yaml")); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		q, err := ledger.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		l.Requests = append(l.Requests, q)
		l.Files[q.ID] = data
	}
	sort.Slice(l.Requests, func(i, j int) bool { return l.Requests[i].ID < l.Requests[j].ID })
	return l, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// Restored is what a restore did.
type Restored struct {
	Dir        string
	Head       string
	HeadCommit string
	Refs       int
	Reapplied  []string // erasure requests the backup predated
	Removed    []string // paths removed at HEAD by the erasure commit
	// Rewritten are paths put back as the erasure wrote them: records kept
	// minimised, records whose mentions of the subject it replaced.
	Rewritten []string
	Commit    string   // that commit, if one was needed
	Ledger    []string // ledger files brought up to date
	Rewrote   int      // commits rewritten to drop erased objects
	Objects   int      // erased objects deleted from history
}

// StagingSuffix names the directory a restore builds in, beside the
// target: DIR.dossier-restore becomes DIR by one rename once the
// repository is complete and every erasure is re-applied.
const StagingSuffix = ".dossier-restore"

// Restore makes a working repository at dir from the mirror from (a
// mounted disk or an internal host over ssh), then re-applies every
// erasure in newest (the live repository's ledger; nil: the backup's own)
// that the backup predates: erased files still at HEAD are removed in one
// erasure commit that also brings the ledger up to date, and erased
// objects are removed from all history.
//
// The work is done in dir+StagingSuffix and renamed to dir at the end, so
// dir is either absent (or the empty directory it was) or the finished
// repository. A failed restore removes its staging directory; one killed
// half-way leaves it, possibly holding objects of erasures not yet
// re-applied, and the next restore into dir refuses until it is removed.
func Restore(from *Remote, dir string, newest *Ledger) (_ *Restored, err error) {
	srcRefs, err := mirrorRefs(from)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return nil, fmt.Errorf("%s exists and is not empty: restore into a new directory", dir)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("restoring into %s: %w", dir, err)
	}
	staging := dir + StagingSuffix
	if err := os.Mkdir(staging, 0o755); errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%s is left from an interrupted restore and may hold erased data: remove it (rm -rf %s) and run the restore again", staging, staging)
	} else if err != nil {
		return nil, fmt.Errorf("making the restore's staging directory: %w", err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		if rerr := os.RemoveAll(staging); rerr != nil {
			err = errors.Join(err, fmt.Errorf("the failed restore could not remove %s, which may hold erased data: remove it (rm -rf %s): %w", staging, staging, rerr))
		}
	}()
	res, err := restoreInto(from, srcRefs, staging, newest)
	if err != nil {
		return nil, err
	}
	// rename(2) replaces an empty directory, so an empty target made
	// beforehand (a mount point's folder) is fine.
	if err := os.Rename(staging, dir); err != nil {
		return nil, fmt.Errorf("moving the restored repository into place: %w", err)
	}
	done = true
	res.Dir = dir
	return res, nil
}

// mirrorRefs reads the refs and HEAD of the mirror a restore reads.
func mirrorRefs(from *Remote) (Refs, error) {
	if from.SSH() {
		st, err := (&sshMirror{r: from}).state(false, nil)
		if err != nil {
			return Refs{}, fmt.Errorf("--from %s: %w", from.URL, err)
		}
		if !st.exists {
			return Refs{}, fmt.Errorf("--from %s: no backup mirror at %s on %s", from.URL, from.Path, from.Host)
		}
		return st.refs, nil
	}
	if !isDir(filepath.Join(from.Path, "objects")) {
		return Refs{}, fmt.Errorf("--from %s: not a backup mirror (no bare git repository there)", from.Path)
	}
	refs, err := gitRefs(repo.AtGitDir(from.Path))
	if err != nil {
		return Refs{}, fmt.Errorf("--from %s: not a readable backup mirror: %w", from.Path, err)
	}
	return refs, nil
}

// restored reports whether a restore brings the ref back: branches and
// tags (what fetch's refspecs name).
func restored(name string) bool {
	return strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/tags/")
}

// restoreSpecs are the refs a restore fetches: branches and tags.
var restoreSpecs = []string{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}

func restoreInto(from *Remote, srcRefs Refs, dir string, newest *Ledger) (*Restored, error) {
	if _, err := repo.Init(dir); err != nil {
		return nil, err
	}
	g := repo.At(dir)
	if err := fetch(g, from); err != nil {
		return nil, err
	}
	crashPoint("after-fetch")
	got, err := gitRefs(g)
	if err != nil {
		return nil, fmt.Errorf("reading the restored refs: %w", err)
	}
	// The lock keeps a backup out while the mirror is read; a mirror
	// changed by hand in between is caught here.
	want := Refs{Refs: map[string]string{}}
	for name, v := range srcRefs.Refs {
		if restored(name) {
			want.Refs[name] = v
		}
	}
	if !got.Equal(want) {
		return nil, fmt.Errorf("the mirror %s changed while it was read: run the restore again", from.URL)
	}
	res := &Restored{}
	head := srcRefs.Head
	if _, ok := want.Refs[head]; !ok {
		return nil, fmt.Errorf("the mirror's HEAD (%s) names no branch: is %s a dossier backup?", head, from.URL)
	}
	if _, err := g.Run("symbolic-ref", "HEAD", head); err != nil {
		return nil, err
	}
	if _, err := g.Run("reset", "--quiet", "--hard", srcRefs.Refs[head]); err != nil {
		return nil, fmt.Errorf("checking out %s: %w", head, err)
	}
	res.Head, res.Refs = head, len(got.Refs)

	if newest == nil {
		// Without a ledger (restore --no-ledger), the backup's own: it
		// can only know the erasures made before the backup.
		own := filepath.Join(dir, ledger.Dir)
		newest = &Ledger{Files: map[string][]byte{}}
		if isDir(own) {
			if newest, err = LoadLedger(own); err != nil {
				return nil, fmt.Errorf("the backup's own ledger: %w", err)
			}
			newest.Repo = ""
		}
	}
	if err := reapply(dir, newest, res); err != nil {
		return nil, err
	}
	if err := checkErased(dir, newest); err != nil {
		return nil, err
	}
	out, err := g.Run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		return nil, fmt.Errorf("reading the restored HEAD: %w", err)
	}
	res.HeadCommit = strings.TrimSpace(string(out))
	return res, nil
}

// fetch brings the mirror's branches and tags into the new repository g
// runs in, with git, from a disk or over ssh: over ssh it runs the ssh
// client the backup admin configured (keys, agent, known_hosts,
// GIT_SSH_COMMAND), as backup's push does. The new repository gets no
// remote: it must not push back to the backup by accident.
func fetch(g repo.Git, from *Remote) error {
	url := from.URL
	if !from.SSH() {
		url = from.Path
	}
	args := append([]string{"fetch", "--quiet", "--no-tags", "--update-head-ok", "--", url}, restoreSpecs...)
	if _, err := g.Run(args...); err != nil {
		return fmt.Errorf("fetching from %s: %w", from.URL, err)
	}
	return nil
}

// reapply brings the restored HEAD to what every erasure in newest left:
// files the erasure removed are removed, files it rewrote (a record kept
// minimised under a legal retention, a record whose mentions of the subject
// it replaced) get the version it wrote, from the backup or the live
// repository, byte for byte. A file is only touched when its version at
// HEAD is one the erasure lists, so a later version is never rolled back.
// The erased objects are then removed from all history.
func reapply(dir string, newest *Ledger, res *Restored) error {
	g := repo.At(dir)
	atHead, err := headFiles(g)
	if err != nil {
		return fmt.Errorf("the restored HEAD: %w", err)
	}
	// Which erased objects the backup holds: one question to git for all.
	var listed []string
	for _, q := range newest.Requests {
		listed = append(listed, q.ErasedObjects...)
	}
	held, err := presentIn(g, listed)
	if err != nil {
		return fmt.Errorf("looking up the erased objects in the restored repository: %w", err)
	}
	inBackup := map[string]bool{}
	for _, o := range held {
		inBackup[o] = true
	}
	erased := map[string]bool{}
	removed := map[string]bool{}
	rewrite := map[string]rewriteTo{}
	var live map[string]plumbing.Hash // the live repository's HEAD, read when needed
	for _, q := range newest.Requests {
		objs := map[plumbing.Hash]bool{}
		for _, o := range q.ErasedObjects {
			objs[plumbing.NewHash(o)] = true
		}
		kept := map[string]bool{}
		for _, k := range q.Kept {
			kept[k.Path] = true
		}
		wrote := map[string]string{}
		for _, w := range q.Rewritten {
			wrote[w.Path] = w.Blob
		}
		hit := false
		for p, h := range atHead {
			if !objs[h] {
				continue
			}
			if b, ok := wrote[p]; ok {
				rewrite[p], hit = rewriteTo{blob: plumbing.NewHash(b), request: q.ID}, true
				continue
			}
			if kept[p] {
				// A ledger entry written before erasures recorded what
				// they wrote: the live repository's version, if it is
				// not one of the erased ones.
				if live == nil {
					if live, err = liveFiles(newest.Repo); err != nil {
						return err
					}
				}
				b := live[p]
				if b.IsZero() || objs[b] {
					return fmt.Errorf("%s: erasure %s kept it minimised, but its ledger entry does not say which version it wrote, and no live repository (--ledger) has it: restore it from the live repository by hand; nothing was restored", p, q.ID)
				}
				rewrite[p], hit = rewriteTo{blob: b, request: q.ID}, true
				continue
			}
			removed[p], hit = true, true
		}
		for _, p := range q.ErasedPaths {
			if _, ok := atHead[p]; ok && !kept[p] {
				removed[p], hit = true, true
			}
		}
		for _, o := range q.ErasedObjects {
			if inBackup[o] {
				erased[o], hit = true, true
			}
		}
		if hit {
			res.Reapplied = append(res.Reapplied, q.ID)
		}
	}
	for p := range rewrite {
		if removed[p] {
			// A later erasure removed what an earlier one rewrote.
			delete(rewrite, p)
		}
	}
	ch := repo.Change{Write: map[string][]byte{}}
	for p := range removed {
		ch.Remove = append(ch.Remove, p)
	}
	sort.Strings(ch.Remove)
	res.Removed = ch.Remove
	for _, p := range sortedKeys(rewrite) {
		data, err := readRewritten(g, newest.Repo, p, rewrite[p])
		if err != nil {
			return err
		}
		ch.Write[p] = data
		res.Rewritten = append(res.Rewritten, p)
	}
	for _, id := range sortedIDs(newest.Files) {
		p := ledger.Path(id)
		old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil && bytes.Equal(old, newest.Files[id]) {
			continue
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reading the restored %s: %w", p, err)
		}
		ch.Write[p] = newest.Files[id]
		res.Ledger = append(res.Ledger, p)
	}
	if len(ch.Remove)+len(ch.Write) > 0 {
		msg := "Re-apply erasures after a restore from backup\n\nThe backup predates these requests; their data is removed again.\n\n"
		for _, id := range res.Reapplied {
			msg += "Dossier-Request: " + id + "\n"
		}
		msg += "Dossier-Action: erasure\n"
		h, err := ch.Commit(dir, msg)
		if err != nil {
			return fmt.Errorf("committing the re-applied erasures: %w", err)
		}
		res.Commit = h.String()
	}
	if len(erased) == 0 {
		return nil
	}
	pr, err := purge.Run(dir, purge.Options{Requests: res.Reapplied})
	if err != nil {
		return fmt.Errorf("removing erased objects from history: %w", err)
	}
	res.Rewrote, res.Objects = pr.Commits, len(erased)
	left, err := presentIn(g, keys(boolKeysOf(erased)))
	if err != nil {
		return fmt.Errorf("checking the rewritten history: %w", err)
	}
	if len(left) > 0 {
		return fmt.Errorf("object %s is still in the restored repository after the rewrite", left[0])
	}
	return nil
}

// liveFiles maps the files at HEAD of the live repository at live to
// their blobs; empty without a live repository.
func liveFiles(live string) (map[string]plumbing.Hash, error) {
	if live == "" {
		return map[string]plumbing.Hash{}, nil
	}
	files, err := headFiles(repo.At(live))
	if err != nil {
		return nil, fmt.Errorf("--ledger %s: %w", live, err)
	}
	return files, nil
}

// rewriteTo is the version an erasure wrote at a path.
type rewriteTo struct {
	blob    plumbing.Hash
	request string
}

// headFiles maps every file at HEAD to its blob, as git ls-tree lists
// them. A tree that cannot be read, or a line that does not parse, fails
// the restore: an erasure must not be skipped for a file nobody saw.
func headFiles(g repo.Git) (map[string]plumbing.Hash, error) {
	entries, err := g.Lines("ls-tree", "-r", "-z", "--full-tree", "HEAD")
	if err != nil {
		return nil, fmt.Errorf("reading the tree at HEAD: %w", err)
	}
	atHead := make(map[string]plumbing.Hash, len(entries))
	for _, e := range entries {
		meta, p, ok := strings.Cut(e, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || !isHexID(f[2]) || p == "" {
			return nil, fmt.Errorf("reading the tree at HEAD: unexpected line from git ls-tree")
		}
		if f[1] == "blob" {
			atHead[p] = plumbing.NewHash(f[2])
		}
	}
	return atHead, nil
}

// readRewritten reads the version an erasure wrote at p: from the
// restored repository if the backup has it, else from the live
// repository the ledger came from. Its bytes are checked against the id.
func readRewritten(g repo.Git, live, p string, to rewriteTo) ([]byte, error) {
	data, found, err := readBlob(g, to.blob)
	if err == nil && !found && live != "" {
		data, found, err = readBlob(repo.At(live), to.blob)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading the version erasure %s wrote: %w", p, to.request, err)
	}
	if !found {
		where := "give --ledger the live records repository, which holds it, or restore from a newer mirror"
		if live != "" {
			where = "nor in " + live + "; restore from a newer mirror"
		}
		return nil, fmt.Errorf("%s: erasure %s rewrote it after this backup (kept minimised, or mentions of its subject replaced), and the version it wrote (%s) is not in the backup: %s; nothing was restored", p, to.request, to.blob, where)
	}
	if got := plumbing.ComputeHash(plumbing.BlobObject, data); got != to.blob {
		return nil, fmt.Errorf("%s: the version erasure %s wrote reads back as %s, not %s; nothing was restored", p, to.request, got, to.blob)
	}
	return data, nil
}

// readBlob reads blob h from the repository g runs in; found is false
// when the repository does not hold it.
func readBlob(g repo.Git, h plumbing.Hash) (data []byte, found bool, err error) {
	held, err := presentIn(g, []string{h.String()})
	if err != nil || len(held) == 0 {
		return nil, false, err
	}
	data, err = g.Run("cat-file", "blob", h.String())
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// checkErased checks, after the restore, that HEAD holds nothing any
// erasure in the ledger removed: no listed object, no removed path (kept
// records aside). What restore prints is then checked, not assumed.
func checkErased(dir string, l *Ledger) error {
	atHead, err := headFiles(repo.At(dir))
	if err != nil {
		return fmt.Errorf("checking the restored HEAD: %w", err)
	}
	for _, q := range l.Requests {
		objs := map[string]bool{}
		for _, o := range q.ErasedObjects {
			objs[o] = true
		}
		kept := map[string]bool{}
		for _, k := range q.Kept {
			kept[k.Path] = true
		}
		for p, h := range atHead {
			if objs[h.String()] {
				return fmt.Errorf("%s at the restored HEAD is a version erased by %s: the erasure could not be re-applied", p, q.ID)
			}
		}
		for _, p := range q.ErasedPaths {
			if _, ok := atHead[p]; ok && !kept[p] {
				return fmt.Errorf("%s, erased by %s, is at the restored HEAD: the erasure could not be re-applied", p, q.ID)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]rewriteTo) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedIDs(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
