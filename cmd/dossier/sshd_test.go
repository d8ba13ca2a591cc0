package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdStartSshd starts a real OpenSSH server (Debian's openssh-server) on
// 127.0.0.1 with its own host key and authorized_keys in $WORK/sshd, for
// the ssh cases of the server hook and backup tests. It sets SSH_PORT,
// SSH_USER and GIT_SSH_COMMAND for the rest of the script and stops the
// server when the script ends.
//
//	start-sshd
func cmdStartSshd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: start-sshd")
	}
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/sshd"); statErr != nil {
			ts.Fatalf("sshd not found: install openssh-server (make deps)")
		}
		sshd = "/usr/sbin/sshd"
	}
	dir := ts.MkAbs("sshd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		ts.Fatalf("%v", err)
	}
	for _, k := range []string{"host_key", "client_key"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			ts.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		ts.Fatalf("%v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("%v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	u, err := user.Current()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers %s
SetEnv PATH=%s
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"), u.Username, ts.Getenv("PATH"))
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		ts.Fatalf("%v", err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		ts.Fatalf("privilege separation dir: %v", err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfgFile)
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		ts.Fatalf("starting sshd: %v", err)
	}
	ts.Defer(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			ts.Fatalf("sshd did not start:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sshCmd := strings.Join([]string{"ssh", "-i", filepath.Join(dir, "client_key"), "-p", fmt.Sprint(port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"}, " ")
	ts.Setenv("SSH_PORT", fmt.Sprint(port))
	ts.Setenv("SSH_USER", u.Username)
	ts.Setenv("SSH_KEY", filepath.Join(dir, "client_key"))
	ts.Setenv("GIT_SSH_COMMAND", sshCmd)
}
