package backup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vts/dossier/internal/repo"
)

// TestHeadFilesFailsOnUnreadableTree: a restore that cannot read a tree at
// HEAD must stop, not re-apply erasures over the files it did see.
func TestHeadFilesFailsOnUnreadableTree(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	for _, p := range []string{"records/c-0001/customer.yaml", "records/c-0001/users/u-0001.yaml", "ledger/DSR-2026-0001.yaml"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("add", "-A")
	git("commit", "-q", "-m", "c")
	files, err := headFiles(repo.At(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files["records/c-0001/users/u-0001.yaml"].IsZero() {
		t.Fatalf("headFiles = %v, want the 3 files", files)
	}
	// The users/ tree goes missing from the object database.
	users := git("rev-parse", "HEAD:records/c-0001/users")
	if err := os.Remove(filepath.Join(dir, ".git", "objects", users[:2], users[2:])); err != nil {
		t.Fatal(err)
	}
	if files, err := headFiles(repo.At(dir)); err == nil {
		t.Fatalf("headFiles read a tree with a missing subtree without error: %v", files)
	}
}
