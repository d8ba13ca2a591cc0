package repo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// VerifyCommit tells a listed signer, an unlisted signer and no signature
// apart by git's exit code and signature status, and AllowedSigners reads
// the file from git's config, refusing one that is missing.
func TestVerifyCommit(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is needed to sign")
	}
	keys := t.TempDir()
	for _, k := range []string{"listed", "other"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(keys, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(keys, "listed.pub"))
	if err != nil {
		t.Fatal(err)
	}
	signers := filepath.Join(keys, "allowed")
	os.WriteFile(signers, []byte("po@example.invalid "+string(pub)), 0o644)

	dir := fixture(t)
	commit := func(key string) string {
		args := []string{"commit", "-q", "--allow-empty", "-m", "by " + key}
		if key != "" {
			args = append([]string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + filepath.Join(keys, key)}, append(args, "-S")...)
		}
		runGit(t, dir, args...)
		return runGit(t, dir, "rev-parse", "HEAD")
	}
	gitDir := filepath.Join(dir, ".git")
	if err := VerifyCommit(gitDir, signers, commit("listed")); err != nil {
		t.Errorf("listed signer: %v", err)
	}
	if err := VerifyCommit(gitDir, signers, commit("other")); err == nil || err.Error() != "signed by a key that is not in the allowed-signers file" {
		t.Errorf("unlisted signer: %v", err)
	}
	if err := VerifyCommit(gitDir, signers, commit("")); err == nil || err.Error() != "the signature does not verify" {
		t.Errorf("unsigned: %v", err)
	}
	if err := VerifyCommit(gitDir, signers, strings.Repeat("0", 40)); err == nil || ExitCode(err) == 1 {
		t.Errorf("a missing commit: %v", err)
	}

	if f, err := AllowedSigners(gitDir); err != nil || f != "" {
		t.Errorf("none configured: %q %v", f, err)
	}
	runGit(t, dir, "config", SignersKey, signers)
	if f, err := AllowedSigners(gitDir); err != nil || f != signers {
		t.Errorf("configured: %q %v", f, err)
	}
	runGit(t, dir, "config", SignersKey, "missing")
	if _, err := AllowedSigners(gitDir); err == nil {
		t.Error("a missing file was accepted")
	}
}
