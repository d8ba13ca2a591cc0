package sopsfile

import (
	"errors"
	"fmt"

	"github.com/getsops/sops/v3"
)

// Rewrap encrypts the file's existing data key for rule's recipients (as
// "sops updatekeys" does) and writes the same content back with a fresh
// MAC. Use it to add a reader; to remove one use Rekey, since whoever held
// the old data key could read every later version encrypted with it.
func (f *File) Rewrap(rule *Rule) ([]byte, error) {
	if out, err := f.rekeySpliced(rule, false); !errors.Is(err, errSlowPath) {
		return out, err
	}
	group, err := keyGroup(rule.Recipients)
	if err != nil {
		return nil, err
	}
	plain, err := f.Plain()
	if err != nil {
		return nil, err
	}
	branches, err := loadPlain(plain)
	if err != nil {
		return nil, err
	}
	md := f.tree.Metadata
	md.KeyGroups = []sops.KeyGroup{group}
	if errs := md.UpdateMasterKeys(md.DataKey); len(errs) > 0 {
		return nil, fmt.Errorf("encrypting the data key: %v", errors.Join(errs...))
	}
	tree := sops.Tree{Branches: branches, Metadata: md}
	return seal(&tree, md.DataKey, f.cipher)
}
