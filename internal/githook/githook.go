// Package githook is what dossier does inside git: the client hooks
// (pre-commit on the staged records, commit-msg against personal values in
// messages), the server's pre-receive check of a push, the textconv that
// shows key holders decrypted diffs, and the repository configuration that
// wires them up ("dossier hook install").
//
// Everything here is keyless unless it says otherwise, and nothing here
// prints a personal or secret value: findings name file, field and fix.
package githook
