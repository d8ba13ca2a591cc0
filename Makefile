# dossier: "make demo" shows the main job on a throwaway repository,
# "make test" runs every test. Both install what they need first.

GO       ?= go
BIN      := $(CURDIR)/bin
DOSSIER  := $(BIN)/dossier
SOPS     := $(BIN)/tools/sops
# Debian packages the tests drive for real: git (client and server side),
# OpenSSH (ssh pushes and backups to 127.0.0.1), age, git-filter-repo (the
# purge benchmark's peer), chromium (renders the access report at desktop and
# phone width; its screenshots land in test-artifacts/report/).
DEB_PACKAGES := git openssh-server openssh-client age git-filter-repo chromium

.PHONY: all build cross deps test fuzz lint demo bench clean

all: build

# The release build: stripped, paths trimmed, and stamped with "git
# describe" and the commit, so "dossier --version" names them even when
# the toolchain records no VCS information (GOFLAGS=-buildvcs=false).
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
COMMIT   := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -s -w -X main.stamped=$(VERSION) -X main.stampedCommit=$(COMMIT)

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DOSSIER) ./cmd/dossier

# Engineers carry macOS and Windows laptops: the command must build there.
CROSS := darwin/amd64 darwin/arm64 windows/amd64

cross:
	@for p in $(CROSS); do \
		echo "build $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/dossier || exit 1; \
	done

# The stock sops CLI, built from the sops version in go.mod.
$(SOPS): go.mod go.sum
	$(GO) build -o $(SOPS) github.com/getsops/sops/v3/cmd/sops

# Installs the Debian packages above when one is missing (needs root or sudo).
deps:
	@missing=""; \
	command -v git >/dev/null || missing="$$missing git"; \
	{ command -v sshd >/dev/null || test -x /usr/sbin/sshd; } || missing="$$missing openssh-server"; \
	command -v ssh >/dev/null || missing="$$missing openssh-client"; \
	command -v age >/dev/null || missing="$$missing age"; \
	command -v git-filter-repo >/dev/null || missing="$$missing git-filter-repo"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	fi

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# An ignored error on an erasure path is a privacy bug: errcheck fails the
# build on one (.ci/errcheck-exclude.txt lists the few calls whose error
# has nothing to say, each with its reason; test set-up is left to the
# tests). deadcode fails it on a function no command reaches (only tests
# would).
ERRCHECK    := github.com/kisielk/errcheck@v1.9.0
DEADCODE    := golang.org/x/tools/cmd/deadcode@v0.52.0

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(ERRCHECK) -ignoretests -exclude .ci/errcheck-exclude.txt ./...
	@out=$$($(GO) run $(DEADCODE) ./cmd/dossier ./bench); if [ -n "$$out" ]; then echo "dead code (reached by no command):"; echo "$$out"; exit 1; fi
	@out=$$(gofmt -l cmd internal bench *.go); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Every parser that reads what a user or a push can send is fuzzed for a
# short while on each run (the seeds also run as plain tests): the YAML fast
# path and the record grammar, sops metadata and ENC values, .sops.yaml,
# ledger files (and the server's ledger scanner), paths, raw commits, tags
# and trees (a push's, rewritten by purge and recomputed by the server),
# the ref updates a push announces and commit messages.
# The budget is a count of inputs, not a duration: with a duration, go1.26's fuzz
# coordinator can fail at the deadline on a busy machine with no input at
# fault ("context deadline exceeded", golang/go#75804, fixed in go1.27).
FUZZTIME ?= 20000x
FUZZ := \
	./internal/yamltree:FuzzFastParse \
	./internal/validate:FuzzCheck \
	./internal/sopsfile:FuzzReadMeta \
	./internal/sopsfile:FuzzParseENC \
	./internal/sopsfile:FuzzParseRules \
	./internal/ledger:FuzzCheck \
	./internal/ledger:FuzzScanAgrees \
	./internal/layout:FuzzCheck \
	./internal/repo/odb:FuzzRawObjects \
	./internal/server:FuzzParseUpdates \
	./internal/githook:FuzzParseMessage

fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz $$t ($(FUZZTIME))"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) $${t%:*} 2>&1) || { echo "$$out"; exit 1; }; \
	done

test: deps lint cross $(SOPS)
	DOSSIER_TOOLS=$(BIN)/tools $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory fuzz

demo: deps build $(SOPS)
	DOSSIER=$(DOSSIER) SOPS=$(SOPS) bash testdata/demo.sh

bench: deps build $(SOPS)
	$(GO) run ./bench -dossier $(DOSSIER) -sops $(SOPS)

clean:
	rm -rf $(BIN) test-artifacts
