package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"

	"github.com/vts/dossier/internal/identity"
	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/repo"
)

// sshMirror is a bare repository on an internal host.
//
// Everything goes through the real ssh client and git: "git push" for the
// objects and refs, and git commands run on the host for creating,
// pruning and checking the mirror. The ssh client is what the backup admin
// already configured (keys, agent, known_hosts, ProxyJump, and
// GIT_SSH_COMMAND as git honours it); go-git's ssh transport would need
// all of that re-implemented, and its push walks every object the mirror
// already has. Pruning and fsck must run where the packs are: git on the
// host, as go-git cannot delete objects from packs.
type sshMirror struct {
	r *Remote
}

// quote makes s one word for the remote POSIX shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (s *sshMirror) dest() string {
	if s.r.User != "" {
		return s.r.User + "@" + s.r.Host
	}
	return s.r.Host
}

// command is the ssh client running a shell command line on the mirror's
// host.
func (s *sshMirror) command(script string) *exec.Cmd {
	var args []string
	if s.r.Port != "" {
		args = append(args, "-p", s.r.Port)
	}
	args = append(args, "--", s.dest(), script)
	if c := os.Getenv("GIT_SSH_COMMAND"); c != "" {
		// As git runs it: through the shell, arguments appended.
		return exec.Command("sh", append([]string{"-c", c + ` "$@"`, c}, args...)...)
	}
	return exec.Command("ssh", args...)
}

// run runs a shell command line on the mirror's host.
func (s *sshMirror) run(stdin io.Reader, script string) ([]byte, error) {
	cmd := s.command(script)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("ssh %s: %w: %s", s.dest(), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// gitDir starts a git command on the mirror. Replace refs are ignored: a
// purge done by git filter-repo may leave refs/replace/OLD, and with them
// git would answer for an old, purged object id.
func (s *sshMirror) gitDir() string {
	return "git --no-replace-objects --git-dir " + quote(s.r.Path) + " "
}

// url is the remote as git takes it.
func (s *sshMirror) url() string { return s.r.URL }

// stateSep separates the parts of the state script's output.
const stateSep = "--dossier-state--"

func (s *sshMirror) state(create bool, ids []string) (*state, error) {
	p := quote(s.r.Path)
	script := "if test -d " + quote(path.Join(s.r.Path, "objects")) + "; then echo exists; "
	if create {
		parent := quote(path.Dir(s.r.Path))
		script += "elif test -d " + parent + "; then git init -q --bare " + p + " && echo created; " +
			"else echo " + quote(path.Dir(s.r.Path)+" does not exist on "+s.r.Host) + " >&2; exit 1; fi; "
	} else {
		script += "else echo none; exit 0; fi; "
	}
	script +=
		"echo " + stateSep + "; " + s.gitDir() + "symbolic-ref -q HEAD; " +
			"echo " + stateSep + "; " + s.gitDir() + "for-each-ref --format='%(objectname) %(refname)'; " +
			"echo " + stateSep + "; " + s.gitDir() + "cat-file --batch-check; " +
			"echo " + stateSep + "; cat " + quote(s.manifestPath()) + " 2>/dev/null; exit 0"
	out, err := s.run(strings.NewReader(strings.Join(ids, "\n")+"\n"), script)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(string(out), stateSep+"\n")
	st := &state{}
	switch strings.TrimSpace(parts[0]) {
	case "none":
		return st, nil
	case "created":
		st.created = true
	}
	if len(parts) != 5 {
		return nil, fmt.Errorf("ssh %s: unexpected answer reading the mirror", s.r.Host)
	}
	st.exists = true
	st.refs = Refs{Head: strings.TrimSpace(parts[1]), Refs: map[string]string{}}
	for _, line := range strings.Split(parts[2], "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			st.refs.Refs[f[1]] = f[0]
		}
	}
	st.present = parseBatchCheck(parts[3])
	if len(parts[4]) > 0 {
		st.manifest, _ = ParseManifest([]byte(parts[4]))
	}
	return st, nil
}

func (s *sshMirror) push(root string, src, before Refs, progress io.Writer) error {
	args := []string{"push", "--no-verify", "--force", "--prune", "--atomic"}
	if progress != nil {
		args = append(args, "--progress")
	} else {
		args = append(args, "--quiet")
	}
	// The host keeps what arrives as a pack (index-pack, which hashes
	// every object), never as loose objects: the pack schedule covers
	// packs, and only a full fsck reads loose objects. git runs the ssh
	// client the way s.command does: GIT_SSH_COMMAND when the admin set
	// it (inherited), else ssh.
	args = append(args, "--receive-pack=git -c receive.unpackLimit=1 receive-pack")
	cmd := repo.At(root).Command(append(args, s.url(), "+refs/*:refs/*")...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if progress != nil {
		cmd.Stderr = io.MultiWriter(&errb, progress)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git push: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	crashPoint("after-pack")
	if src.Head != "" && src.Head != before.Head {
		if _, err := s.run(nil, s.gitDir()+"symbolic-ref HEAD "+quote(src.Head)); err != nil {
			return err
		}
	}
	return nil
}

func (s *sshMirror) prune() error {
	_, err := s.run(nil, s.gitDir()+"reflog expire --expire=now --all && "+s.gitDir()+"gc --prune=now --quiet")
	return err
}

// checkAll runs git fsck on the host: reading every object where the
// packs are beats copying them back over the network to hash them here.
func (s *sshMirror) checkAll(_ bool, _ io.Writer) (int, Findings, error) {
	out, err := s.run(nil, s.gitDir()+"fsck --full --no-dangling --no-progress 2>&1")
	if err == nil {
		return 0, nil, nil
	}
	// ssh's own failure (exit 255: no connection) says nothing about the
	// mirror; git fsck's does.
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 255 {
		return 0, nil, err
	}
	var p Findings
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, line := range lines {
		if i == maxListed {
			p = append(p, problem(Damaged, "... %d more", len(lines)-i))
			break
		}
		if line = strings.TrimSpace(line); line != "" {
			p = append(p, problem(Damaged, "git fsck on %s: %s", s.r.Host, line))
		}
	}
	if len(p) == 0 {
		p = Findings{problem(Damaged, "git fsck on %s failed: %v", s.r.Host, err)}
	}
	return 0, p, nil
}

// checkPacks reads on the host the packs the schedule says are due, with
// git verify-pack (which hashes the pack and every object in it):
// copying packs back over the network to hash them here would cost more
// than the backup. A POSIX shell has no portable modification time, so
// the host's packs are known by name and size; git gc --auto, which the
// host's receive-pack may run, writes packs with new names, which are read.
func (s *sshMirror) checkPacks(rec PackRecord, all bool, progress io.Writer) (PackCheck, PackRecord, Findings, error) {
	dir := path.Join(s.r.Path, "objects", "pack")
	out, err := s.run(nil, "echo loose $(find "+quote(path.Join(s.r.Path, "objects"))+" -type f -path '*/objects/[0-9a-f][0-9a-f]/*' | wc -l); "+
		"for f in "+quote(dir)+"/pack-*.pack; do test -e \"$f\" || continue; "+
		"echo \"${f##*/} $(wc -c < \"$f\") $(wc -c 2>/dev/null < \"${f%.pack}.idx\" || echo -1)\"; done")
	if err != nil {
		return PackCheck{}, PackRecord{}, nil, fmt.Errorf("listing the packs: %w", err)
	}
	var files []packFile
	loose := -1
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "loose" && len(f) == 2 && loose < 0 {
			if loose, err = strconv.Atoi(f[1]); err != nil {
				return PackCheck{}, PackRecord{}, nil, fmt.Errorf("ssh %s: unexpected answer counting loose objects", s.r.Host)
			}
			continue
		}
		size, err1 := strconv.ParseInt(f[len(f)-2], 10, 64)
		idx, err2 := strconv.ParseInt(f[len(f)-1], 10, 64)
		if len(f) != 3 || err1 != nil || err2 != nil || !strings.HasPrefix(f[0], "pack-") {
			return PackCheck{}, PackRecord{}, nil, fmt.Errorf("ssh %s: unexpected answer listing the packs", s.r.Host)
		}
		files = append(files, packFile{name: f[0], size: size, idxSize: idx})
	}
	if loose < 0 {
		return PackCheck{}, PackRecord{}, nil, fmt.Errorf("ssh %s: unexpected answer counting loose objects", s.r.Host)
	}
	if loose > 0 {
		// Loose objects (a mirror written before pushes kept their
		// packs, see push) are read only by git fsck, which reads every
		// pack too: the whole mirror, as before the schedule.
		sc := plan(files, rec, true)
		sc.pc.Fsck = true
		_, p, err := s.checkAll(false, progress)
		if err != nil || len(p) > 0 {
			return sc.pc, PackRecord{}, p, err
		}
		for _, f := range sc.due {
			sc.read(f, 0)
		}
		return sc.pc, sc.next, nil, nil
	}
	sc := plan(files, rec, all)
	if len(sc.due) == 0 {
		return sc.pc, sc.next, nil, nil
	}
	var b strings.Builder
	b.WriteString("for i in")
	for _, f := range sc.due {
		b.WriteString(" " + quote(path.Join(dir, strings.TrimSuffix(f.name, ".pack")+".idx")))
	}
	b.WriteString("; do if " + s.gitDir() + "verify-pack \"$i\" >/dev/null 2>&1; then echo \"ok ${i##*/}\"; else echo \"bad ${i##*/}\"; fi; done")
	if progress != nil {
		fmt.Fprintf(progress, "%s: reading %d pack file(s) on %s\n", s.r.Name, len(sc.due), s.r.Host)
	}
	out, err = s.run(nil, b.String())
	if err != nil {
		return PackCheck{}, PackRecord{}, nil, fmt.Errorf("verifying the packs: %w", err)
	}
	sound := map[string]bool{}
	answered := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		verdict, idx, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		name := strings.TrimSuffix(idx, ".idx") + ".pack"
		answered[name] = true
		sound[name] = verdict == "ok"
	}
	var p Findings
	for _, f := range sc.due {
		switch {
		case !answered[f.name]:
			return PackCheck{}, PackRecord{}, nil, fmt.Errorf("ssh %s: no answer verifying %s", s.r.Host, f.name)
		case sound[f.name]:
			sc.read(f, 0)
		default:
			p = append(p, problem(Damaged, "pack %s is corrupt: git verify-pack on %s fails on it", f.name, s.r.Host))
		}
	}
	return sc.pc, sc.next, p, nil
}

func (s *sshMirror) manifestPath() string { return path.Join(s.r.Path, ManifestFile) }

func (s *sshMirror) writeManifest(data []byte) error {
	tmp := quote(s.manifestPath() + ".tmp")
	_, err := s.run(bytes.NewReader(data), "cat > "+tmp+" && mv -f "+tmp+" "+quote(s.manifestPath()))
	return err
}

// lock takes flock(1) on LockFile in the mirror on the host, held by one
// ssh session for as long as this side keeps the session's stdin open:
// the locked command is "cat", which ends when release closes stdin or
// when this process dies and the ssh client sees its stdin close. It
// guards the mirror against runs from other machines, which the lock in
// the live repository cannot see. A host without flock(1) (not Linux) is
// used without it. A session cut by a network failure keeps the lock
// until the host's sshd drops the connection (its TCP keepalive); the
// refusal names the lock file so the admin can find the process there.
func (s *sshMirror) lock(op Op) (func(), error) {
	p := s.r.Path
	l := path.Join(p, LockFile)
	mode := "-s"
	var b strings.Builder
	b.WriteString("command -v flock >/dev/null 2>&1 || { echo unlocked; exit 0; }; ")
	b.WriteString("p=" + quote(p) + "; l=" + quote(l) + "; ")
	if op.exclusive() {
		mode = "-x"
		parent := quote(path.Dir(p))
		b.WriteString("if test ! -d \"$p\"; then test -d " + parent + " || { echo " + quote(path.Dir(p)+" does not exist on "+s.r.Host) + " >&2; exit 1; }; mkdir \"$p\" || exit 1; fi; ")
		b.WriteString("if test ! -d \"$p/objects\" && ls -A \"$p\" | grep -qvx " + quote(LockFile) + "; then echo " +
			quote(p+" on "+s.r.Host+" exists and is not a bare git repository: point the backup at an empty or new directory") + " >&2; exit 1; fi; ")
	} else {
		// Nothing to read, or read-only: the run reports a missing mirror
		// itself, and nobody writes where the lock cannot be made.
		b.WriteString("test -d \"$p/objects\" || { echo unlocked; exit 0; }; test -e \"$l\" || test -w \"$p\" || { echo unlocked; exit 0; }; ")
	}
	b.WriteString("flock -n -E 75 " + mode + " \"$l\" sh -c 'printf \"%s\\n\" \"$1\" > \"$2\" 2>/dev/null; echo locked; exec cat >/dev/null' sh " +
		quote(strings.TrimSpace(holderLine(op))) + " \"$l\"; ")
	b.WriteString("test $? -eq 75 && { echo busy; head -c 512 \"$l\"; }; exit 0")

	cmd := s.command(b.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	out := bufio.NewReader(stdout)
	first, _ := out.ReadString('\n')
	switch strings.TrimSpace(first) {
	case "locked":
		// Release runs after the work is done and has no one to report
		// to: closing stdin ends the session's cat, and if that close or
		// the session fails, the session is gone and the host's flock
		// with it. The remote lock is held only as long as the session.
		return func() {
			_ = stdin.Close()
			_ = cmd.Wait()
		}, nil
	case "busy":
		rest, _ := io.ReadAll(out)
		// The refusal is what is reported; the session only printed it.
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, &BusyError{Mirror: s.r.URL, File: s.r.Host + ":" + l, Holder: cleanHolder(rest)}
	case "unlocked":
		_ = stdin.Close() // the session has exited already; Wait reports how
		return nil, cmd.Wait()
	}
	_ = stdin.Close() // the session failed; Wait and its stderr say how
	err = cmd.Wait()
	return nil, fmt.Errorf("ssh %s: locking the mirror: %v: %s", s.dest(), err, strings.TrimSpace(errb.String()))
}

// identity scans the mirror's objects on the host: git lists them and
// sends the blobs' content, which is read here (the host needs no dossier).
// The files beside the objects are not read: a mirror made by dossier is
// bare and no git command that keeps side copies runs in it.
func (s *sshMirror) identity(subjects []record.Subject) (*identity.Found, error) {
	g := s.gitDir()
	cmd := s.command(g + "cat-file --batch-all-objects --unordered --batch-check='%(objectname) %(objecttype)' | sed -n 's/ blob$//p' | " + g + "cat-file --batch")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ssh %s: %w", s.dest(), err)
	}
	found, perr := identity.ParseBatch(out, subjects, func(paths []string) ([]bool, error) {
		return identity.HeadHasFrom(s.command(g+"cat-file --batch-check='%(objecttype)'"), paths)
	})
	if perr != nil {
		// Abandoned after perr, which is reported: a failed kill (the
		// session already ended) changes nothing.
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	switch {
	case perr != nil:
		return nil, fmt.Errorf("ssh %s: scanning the mirror: %w", s.dest(), perr)
	case werr != nil:
		return nil, fmt.Errorf("ssh %s: scanning the mirror: %v: %s", s.dest(), werr, strings.TrimSpace(errb.String()))
	}
	return found, nil
}
