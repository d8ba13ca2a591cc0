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

.PHONY: all build deps test lint demo bench clean

all: build

build:
	$(GO) build -o $(DOSSIER) ./cmd/dossier

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

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@out=$$(gofmt -l cmd internal bench *.go); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: deps lint $(SOPS)
	DOSSIER_TOOLS=$(BIN)/tools $(GO) test -count=1 -timeout 30m ./...

demo: deps build $(SOPS)
	DOSSIER=$(DOSSIER) SOPS=$(SOPS) bash testdata/demo.sh

bench: deps build $(SOPS)
	$(GO) run ./bench -dossier $(DOSSIER) -sops $(SOPS)

clean:
	rm -rf $(BIN) test-artifacts
