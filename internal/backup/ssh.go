package backup

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"strings"
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

// run runs a shell command line on the mirror's host.
func (s *sshMirror) run(stdin io.Reader, script string) ([]byte, error) {
	dest := s.r.Host
	if s.r.User != "" {
		dest = s.r.User + "@" + dest
	}
	var args []string
	if s.r.Port != "" {
		args = append(args, "-p", s.r.Port)
	}
	args = append(args, "--", dest, script)
	var cmd *exec.Cmd
	if c := os.Getenv("GIT_SSH_COMMAND"); c != "" {
		// As git runs it: through the shell, arguments appended.
		cmd = exec.Command("sh", append([]string{"-c", c + ` "$@"`, c}, args...)...)
	} else {
		cmd = exec.Command("ssh", args...)
	}
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("ssh %s: %v: %s", dest, err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

func (s *sshMirror) gitDir() string { return "git --git-dir " + quote(s.r.Path) + " " }

// url is the remote as git takes it.
func (s *sshMirror) url() string { return s.r.URL }

func (s *sshMirror) exists() (bool, error) {
	out, err := s.run(nil, "if test -d "+quote(path.Join(s.r.Path, "objects"))+"; then echo yes; else echo no; fi")
	return strings.TrimSpace(string(out)) == "yes", err
}

func (s *sshMirror) ensure() (bool, error) {
	ok, err := s.exists()
	if ok || err != nil {
		return false, err
	}
	parent := path.Dir(s.r.Path)
	_, err = s.run(nil, "test -d "+quote(parent)+" || { echo "+quote(parent+" does not exist on "+s.r.Host)+" >&2; exit 1; }; git init -q --bare "+quote(s.r.Path))
	if err != nil {
		return false, fmt.Errorf("creating the mirror: %w", err)
	}
	return true, nil
}

func (s *sshMirror) refs() (Refs, error) {
	cmd := exec.Command("git", "ls-remote", "--symref", s.url())
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return Refs{}, fmt.Errorf("git ls-remote %s: %v: %s", s.url(), err, strings.TrimSpace(errb.String()))
	}
	refs := Refs{Refs: map[string]string{}}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 2 {
			continue
		}
		switch {
		case strings.HasPrefix(f[0], "ref: ") && f[1] == "HEAD":
			refs.Head = strings.TrimPrefix(f[0], "ref: ")
		case strings.HasPrefix(f[1], "refs/") && !strings.HasSuffix(f[1], "^{}"):
			refs.Refs[f[1]] = f[0]
		}
	}
	return refs, nil
}

func (s *sshMirror) push(root string, src, before Refs, progress io.Writer) error {
	args := []string{"-C", root, "push", "--no-verify", "--force", "--prune", "--atomic"}
	if progress != nil {
		args = append(args, "--progress")
	} else {
		args = append(args, "--quiet")
	}
	cmd := exec.Command("git", append(args, s.url(), "+refs/*:refs/*")...)
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

func (s *sshMirror) present(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := s.run(strings.NewReader(strings.Join(ids, "\n")+"\n"), s.gitDir()+"cat-file --batch-check")
	if err != nil {
		return nil, err
	}
	var left []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] != "missing" {
			left = append(left, f[0])
		}
	}
	return left, nil
}

func (s *sshMirror) prune() error {
	_, err := s.run(nil, s.gitDir()+"reflog expire --expire=now --all && "+s.gitDir()+"gc --prune=now --quiet")
	return err
}

// checkAll runs git fsck on the host: reading every object where the
// packs are beats copying them back over the network to hash them here.
func (s *sshMirror) checkAll(_ bool, _ io.Writer) (int, Problems, error) {
	out, err := s.run(nil, s.gitDir()+"fsck --full --no-dangling --no-progress 2>&1")
	if err == nil {
		return 0, nil, nil
	}
	var p Problems
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, line := range lines {
		if i == maxListed {
			p = append(p, fmt.Sprintf("... %d more", len(lines)-i))
			break
		}
		p = append(p, "git fsck on "+s.r.Host+": "+line)
	}
	if len(p) == 0 {
		p = Problems{"git fsck on " + s.r.Host + " failed: " + err.Error()}
	}
	return 0, p, nil
}

func (s *sshMirror) manifestPath() string { return path.Join(s.r.Path, ManifestFile) }

func (s *sshMirror) readManifest() (*Manifest, error) {
	out, err := s.run(nil, "cat "+quote(s.manifestPath())+" 2>/dev/null || true")
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no manifest")
	}
	return ParseManifest(out)
}

func (s *sshMirror) writeManifest(data []byte) error {
	tmp := quote(s.manifestPath() + ".tmp")
	_, err := s.run(bytes.NewReader(data), "cat > "+tmp+" && mv -f "+tmp+" "+quote(s.manifestPath()))
	return err
}
