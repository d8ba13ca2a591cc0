package repo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Git configuration keys, read from the server repository's own config
// (or the server account's global one), that name the allowed-signers
// file: who may change the rules of a records repository. It lives on the
// server, outside the repository, so that no push can name its own
// authority.
const (
	SignersKey    = "dossier.allowedSignersFile"
	GitSignersKey = "gpg.ssh.allowedSignersFile"
)

// AllowedSigners returns the allowed-signers file configured for the
// repository at gitDir, "" when none is configured. A configured file
// that cannot be read is an error: a typo must not open the server.
func AllowedSigners(gitDir string) (string, error) {
	for _, key := range []string{SignersKey, GitSignersKey} {
		out, err := exec.Command("git", "--git-dir="+gitDir, "config", "--type=path", "--get", key).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 1 {
				continue // not set
			}
			return "", fmt.Errorf("reading git config %s: %w", key, err)
		}
		file := strings.TrimSpace(string(out))
		if file == "" {
			continue
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(gitDir, file)
		}
		if _, err := os.Stat(file); err != nil {
			return "", fmt.Errorf("the allowed-signers file of git config %s cannot be read: %w", key, err)
		}
		return file, nil
	}
	return "", nil
}

// VerifyCommit checks with git's own SSH signature verification that the
// commit is signed by a key listed in signersFile. It runs in the hook's
// environment, so git finds commits that still wait in the push's
// quarantine. The error says why, without the signer's identity.
func VerifyCommit(gitDir, signersFile, commit string) error {
	cmd := exec.Command("git", "--git-dir="+gitDir, "-c", "gpg.ssh.allowedSignersFile="+signersFile, "-c", "gpg.format=ssh", "verify-commit", "--raw", commit)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if strings.Contains(stderr.String(), "No principal matched") {
				return errors.New("signed by a key that is not in the allowed-signers file")
			}
			return errors.New("the signature does not verify")
		}
		return fmt.Errorf("running git verify-commit: %w", err)
	}
	return nil
}

// NewCommits lists the commits reachable from tip that no ref of the
// repository at gitDir reaches: what a push adds to the server's history.
// It is git's own answer (rev-list TIP --not --all), which also sees the
// objects waiting in a push's quarantine, so a commit the server still
// holds but no longer references (history a purge removed, before git
// pruned it) counts as new and is checked again.
// With not given, the commits are those tip reaches and none of not does
// (validate --range OLD..NEW).
func NewCommits(gitDir, tip string, not ...string) (map[string]bool, error) {
	if len(not) == 0 {
		not = []string{"--all"}
	}
	cmd := exec.Command("git", append([]string{"--git-dir=" + gitDir, "rev-list", tip, "--not"}, not...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git rev-list: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	set := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		set[l] = true
	}
	return set, nil
}

// GitDir is the absolute git directory of the work tree at root.
func GitDir(root string) (string, error) {
	lines, err := gitLines(root, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return "", err
	}
	if len(lines) == 0 {
		return "", errors.New("git rev-parse gave no git directory")
	}
	return strings.TrimSpace(lines[0]), nil
}
