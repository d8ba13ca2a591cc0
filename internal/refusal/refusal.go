// Package refusal is the one error that means "dossier will not do this as
// asked, and changed nothing": a dirty work tree, a wrong request id, a
// backup host outside the company, a purge with nothing recorded. The
// command line tells it apart from a failure by its type, and exits 1 for
// it (2 for a failure), so every operation package refuses the same way.
package refusal

import (
	"errors"
	"fmt"
)

// Error is a refusal. Msg is for a person: what is wrong and what to do.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// New makes a refusal from a format, as fmt.Sprintf does.
func New(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...)}
}

// Is reports whether err, or an error it wraps, is a refusal. An error
// type with fields of its own (a purge refusal's reason, a backup
// remote's broken rule) is a refusal when its Unwrap returns an *Error.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
