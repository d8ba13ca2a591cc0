// Package githook is what dossier does inside an engineer's git: the
// client hooks (pre-commit on the staged records, commit-msg against
// personal values in messages), the textconv that shows key holders
// decrypted diffs, and the repository configuration that wires them up
// ("dossier hook install"). The server's side (pre-receive, post-receive)
// is package server; it shares the message and layout checks kept here.
//
// The client hooks are a convenience and a first line, not a guarantee:
// an engineer can skip them, so the server checks every push again.
// Everything here is keyless unless it says otherwise, and nothing here
// prints a personal or secret value: findings name file, field and fix.
// Git is reached only through package repo.
package githook
