//go:build unix

package validate

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vts/dossier/internal/sopsfile"
)

// BenchmarkCheckKeyless checks the sample records of the source tree the
// way the git server does (no key), for profiling the per-file cost:
//
//	go test ./internal/validate -run '^$' -bench CheckKeyless -cpuprofile cpu.out
//
// Besides wall time it reports the process CPU time per file (GC included),
// which stays meaningful on a machine shared with other work; the keyless
// target of 20,000 files/s on 2 cores needs under 100µs of CPU per file.
func BenchmarkCheckKeyless(b *testing.B) {
	benchCheck(b, false)
}

// BenchmarkCheckKeyed adds opening the data key with the TEST ONLY key,
// decrypting and checking the MAC.
func BenchmarkCheckKeyed(b *testing.B) {
	benchCheck(b, true)
}

func benchCheck(b *testing.B, keyed bool) {
	const root = "../.."
	c, findings := Setup(os.DirFS(root))
	if len(findings) > 0 {
		b.Fatalf("setup: %v", findings)
	}
	if keyed {
		b.Setenv("SOPS_AGE_KEY_FILE", root+"/testdata/test-only-age-key.txt")
		ids, err := sopsfile.LoadIdentities()
		if err != nil {
			b.Fatal(err)
		}
		c.Identities = ids
	}
	files, err := Files(root)
	if err != nil || len(files) == 0 {
		b.Fatalf("no sample records under %s/records: %v", root, err)
	}
	data := make([][]byte, len(files))
	for i, f := range files {
		if data[i], err = os.ReadFile(root + "/" + f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		n := i % len(files)
		if fs := c.Check(files[n], data[n]); len(fs) > 0 {
			b.Fatalf("%s: %v", files[n], fs)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/file")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
