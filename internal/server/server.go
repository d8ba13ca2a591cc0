// Package server is dossier on the git server: the pre-receive check of
// every push, the post-receive step that makes the server forget what a
// verified purge removed, and "validate --range", which runs the same
// check on an engineer's machine before a push.
//
// It exists apart from the client hooks (package githook) because it
// trusts differently. A client hook helps an engineer who wants help; the
// server believes nothing a push says about itself (DESIGN.md, "Trust").
// A push is judged by the rules (schema/, .sops.yaml, dossier.yaml) and
// the ledger of the server's own main tip, read from the server's own
// objects; rules a push brings count only when a commit signed by a key
// of the server's allowed-signers list (configured on the server, outside
// the repository) brings them; a history rewrite is accepted only when the
// server recomputes it from its own history and its own ledger. What the
// push carries decides nothing but which of those checks it must pass.
//
// Everything here is keyless (the server holds no key), its cost grows
// with the push and not with the repository, and nothing here prints a
// personal or secret value: a refusal names ref, file, field and fix.
// Git is reached only through package repo.
package server
