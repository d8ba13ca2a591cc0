package repo

import (
	"errors"
	"fmt"
	"os"
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
	g := AtGitDir(gitDir)
	for _, key := range []string{SignersKey, GitSignersKey} {
		file, set, err := g.Config(key, "path")
		if err != nil {
			return "", err
		}
		if !set || file == "" {
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
//
// git verify-commit answers by its exit code only (0 for a good signature
// by a listed key). Why it refused is asked of git's signature status
// (%G?), a letter git defines, never read from its words: U is a valid
// signature by a key no principal of the file matches.
func VerifyCommit(gitDir, signersFile, commit string) error {
	g := AtGitDir(gitDir)
	opts := []string{"-c", "gpg.ssh.allowedSignersFile=" + signersFile, "-c", "gpg.format=ssh"}
	_, err := g.Run(append(opts, "verify-commit", "--raw", commit)...)
	if err == nil {
		return nil
	}
	if ExitCode(err) != 1 {
		return fmt.Errorf("running git verify-commit: %w", err)
	}
	out, serr := g.Run(append(opts, "show", "-s", "--format=%G?", commit)...)
	if serr != nil {
		return fmt.Errorf("reading the signature status of %s: %w", commit, serr)
	}
	if strings.TrimSpace(string(out)) == "U" {
		return errors.New("signed by a key that is not in the allowed-signers file")
	}
	return errors.New("the signature does not verify")
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
	lines, err := AtGitDir(gitDir).Lines(append([]string{"rev-list", tip, "--not"}, not...)...)
	if err != nil {
		return nil, fmt.Errorf("listing the new commits: %w", err)
	}
	set := map[string]bool{}
	for _, l := range lines {
		set[strings.TrimSpace(l)] = true
	}
	return set, nil
}

// GitDir is the absolute git directory of the work tree at root.
func GitDir(root string) (string, error) {
	lines, err := At(root).Lines("rev-parse", "--absolute-git-dir")
	if err != nil {
		return "", fmt.Errorf("finding the git directory: %w", err)
	}
	if len(lines) == 0 {
		return "", errors.New("git rev-parse gave no git directory")
	}
	return strings.TrimSpace(lines[0]), nil
}
