package repo

import (
	"errors"

	"github.com/go-git/go-git/v5"
)

// UnsupportedExtension reports whether err is Open's failure on a
// repository whose git configuration turns on an extension go-git cannot
// read (extensions.worktreeConfig, which "git sparse-checkout" sets): a
// state the person can change, unlike a damaged repository.
func UnsupportedExtension(err error) bool {
	return errors.Is(err, git.ErrUnsupportedExtensionRepositoryFormatVersion) || errors.Is(err, git.ErrUnknownExtension)
}
