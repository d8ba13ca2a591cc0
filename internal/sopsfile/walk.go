package sopsfile

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/getsops/sops/v3"
)

// errSlowPath means a tree uses a SOPS feature the fast walk does not
// handle (comments, suffix selectors, MAC over encrypted values only); the
// sops library's own walk is used instead.
var errSlowPath = errors.New("not handled by the fast walk")

// The sops library's Tree.Encrypt and Tree.Decrypt compile the
// encrypted_regex anew for every value they visit, which is most of the
// cost of opening a record. For the files dossier writes (selection by
// encrypted_regex only, no comments) walk computes the same thing — the
// same values selected, the same additional data, the same MAC input in
// the same order — with the regexp compiled once. The sops interop tests
// (files written here decrypted by stock sops and the reverse) pin that
// the two agree.
func selector(m sops.Metadata) (*regexp.Regexp, error) {
	if m.EncryptedRegex == "" || m.UnencryptedSuffix != "" || m.EncryptedSuffix != "" || m.UnencryptedRegex != "" ||
		m.UnencryptedCommentRegex != "" || m.EncryptedCommentRegex != "" || m.MACOnlyEncrypted {
		return nil, errSlowPath
	}
	if re, ok := compiled.Load(m.EncryptedRegex); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(m.EncryptedRegex)
	if err != nil {
		return nil, err
	}
	compiled.Store(m.EncryptedRegex, re)
	return re, nil
}

// compiled caches encrypted_regex values: a repository has one per kind.
var compiled sync.Map

type leafFunc func(v any, path []string, encrypted bool) (any, error)

func walkBranch(b sops.TreeBranch, path []string, encrypted bool, re *regexp.Regexp, fn leafFunc) error {
	for i, item := range b {
		key, ok := item.Key.(string)
		if !ok {
			return errSlowPath
		}
		enc := encrypted || re.MatchString(key)
		v, err := walkValue(item.Value, append(path[:len(path):len(path)], key), enc, re, fn)
		if err != nil {
			return err
		}
		b[i].Value = v
	}
	return nil
}

func walkValue(v any, path []string, encrypted bool, re *regexp.Regexp, fn leafFunc) (any, error) {
	switch t := v.(type) {
	case sops.TreeBranch:
		return t, walkBranch(t, path, encrypted, re, fn)
	case []any:
		for i, x := range t {
			nv, err := walkValue(x, path, encrypted, re, fn)
			if err != nil {
				return nil, err
			}
			t[i] = nv
		}
		return t, nil
	case sops.Comment:
		return nil, errSlowPath
	case nil:
		return nil, nil
	case []byte:
		return fn(string(t), path, encrypted)
	case string, int, bool, float64, time.Time:
		return fn(t, path, encrypted)
	}
	return nil, fmt.Errorf("cannot walk value of type %T", v)
}

// walkTree runs fn on every leaf and returns the MAC of the values fn
// returns (decrypt) or receives (encrypt), as sops computes it.
func walkTree(tree *sops.Tree, encrypting bool, fn func(v any, path string) (any, error)) (string, error) {
	re, err := selector(tree.Metadata)
	if err != nil {
		return "", err
	}
	hash := sha512.New()
	for _, b := range tree.Branches {
		err := walkBranch(b, nil, false, re, func(v any, path []string, encrypted bool) (any, error) {
			if encrypting {
				bs, err := sops.ToBytes(v)
				if err != nil {
					return nil, err
				}
				hash.Write(bs)
			}
			out := v
			if encrypted {
				var err error
				if out, err = fn(v, strings.Join(path, ":")+":"); err != nil {
					return nil, err
				}
			}
			if !encrypting {
				bs, err := sops.ToBytes(out)
				if err != nil {
					return nil, err
				}
				hash.Write(bs)
			}
			return out, nil
		})
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%X", hash.Sum(nil)), nil
}
