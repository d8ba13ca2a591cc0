package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSSHSigner makes the repository in the current directory sign its
// commits (not tags: "git tag -s" when wanted) with a fresh SSH key (git's own SSH signing), and makes
// the bare server repository trust that key through an allowed-signers
// file outside the repository, as an admin would for a privacy officer:
//
//	ssh-signer SERVER-GIT-DIR [EMAIL]
//
// The key and the allowed-signers file are $WORK/signer-key and
// $WORK/allowed-signers; "git verify-commit" on the server then answers.
func cmdSSHSigner(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: ssh-signer SERVER-GIT-DIR [EMAIL]")
	}
	server, email := ts.MkAbs(args[0]), "privacy@vts.invalid"
	if len(args) == 2 {
		email = args[1]
	}
	run := func(dir string, name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = scriptEnv(ts)
		if out, err := cmd.CombinedOutput(); err != nil {
			ts.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	key := filepath.Join(ts.Getenv("WORK"), "signer-key")
	if _, err := os.Stat(key); err != nil {
		run(ts.Getenv("WORK"), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", key)
	}
	pub, err := os.ReadFile(key + ".pub")
	ts.Check(err)
	allowed := filepath.Join(ts.Getenv("WORK"), "allowed-signers")
	f, err := os.OpenFile(allowed, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	ts.Check(err)
	_, err = f.WriteString(email + ` namespaces="git" ` + strings.TrimSpace(string(pub)) + "\n")
	ts.Check(err)
	ts.Check(f.Close())
	here := ts.MkAbs(".")
	for _, kv := range [][2]string{{"gpg.format", "ssh"}, {"user.signingkey", key}, {"user.email", email}, {"commit.gpgSign", "true"}} {
		run(here, "git", "config", kv[0], kv[1])
	}
	run(here, "git", "--git-dir", server, "config", "gpg.ssh.allowedSignersFile", allowed)
}
