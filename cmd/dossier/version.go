package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// stamped and stampedCommit are what "make build" stamps with -ldflags -X:
// "git describe --always --dirty" and the commit id. They name the build
// even when the toolchain records no VCS information (GOFLAGS=-buildvcs=false,
// a build outside the checkout).
var stamped, stampedCommit string

// sopsModule is the module whose version decides the file format and
// which sops CLI versions read the records.
const sopsModule = "github.com/getsops/sops/v3"

// versionText is what "dossier --version" prints: dossier's version, the
// commit it was built from, and the sops version it links.
func versionText() string {
	ver, commit, sops := "(devel)", "", "unknown"
	info, ok := debug.ReadBuildInfo()
	if ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			ver = v
		}
		rev, modified := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			commit = rev
			if modified {
				commit += "-dirty"
			}
		}
		for _, d := range info.Deps {
			if d.Path == sopsModule {
				sops = d.Version
				if d.Replace != nil {
					sops = d.Replace.Version
				}
			}
		}
	}
	if stamped != "" {
		ver = stamped
	}
	if stampedCommit != "" {
		commit = stampedCommit
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dossier %s\n", ver)
	if commit != "" {
		fmt.Fprintf(&b, "commit %s\n", commit)
	}
	fmt.Fprintf(&b, "sops %s\n", sops)
	fmt.Fprintf(&b, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}
