package sopsfile

import (
	"errors"
	"fmt"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"gopkg.in/yaml.v3"
)

// DecryptParsed opens a file that the caller has already parsed (root is
// its top-level mapping, data its bytes), skipping the sops store's second
// YAML parse: keyed validation reads every record once for the keyless
// checks and once here. Files that use anything but age recipients, or
// that carry YAML comments, go through Decrypt(data) unchanged.
//
// The File keeps data, for Rekey and Rewrap to change only the encrypted
// values and the sops block of it: data must not change while the File is
// in use.
func DecryptParsed(root *yaml.Node, data []byte, ids *Identities) (*File, error) {
	tree, err := treeFromNode(root)
	if err != nil {
		return Decrypt(data, ids)
	}
	f, err := open(tree, ids)
	if err != nil {
		return nil, err
	}
	// The sops block last, at the left margin, is where sops puts it: a
	// splice may then replace it (see splice.go).
	if n := len(root.Content); f.spliced != nil && n >= 2 && root.Content[n-2].Value == "sops" && root.Content[n-2].Column == 1 {
		f.spliced.src, f.spliced.sopsLine = data, root.Content[n-2].Line
	} else {
		f.spliced = nil
	}
	return f, nil
}

func treeFromNode(root *yaml.Node) (sops.Tree, error) {
	var tree sops.Tree
	var meta *yaml.Node
	content := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sops" {
			meta = root.Content[i+1]
			continue
		}
		content.Content = append(content.Content, root.Content[i], root.Content[i+1])
	}
	if meta == nil || root.HeadComment != "" || root.FootComment != "" {
		return tree, errSlowPath
	}
	raw, err := decodeMeta(meta)
	if err != nil {
		return tree, err
	}
	if len(raw.Age) == 0 || len(raw.PGP)+len(raw.Vault)+raw.KMS+raw.GCP+raw.Azure+raw.HCKMS+raw.KeyGroups > 0 {
		return tree, errSlowPath
	}
	lastModified, err := time.Parse(time.RFC3339, raw.LastModified)
	if err != nil {
		return tree, err
	}
	var group sops.KeyGroup
	for _, a := range raw.Age {
		group = append(group, &sopsage.MasterKey{Recipient: a["recipient"], EncryptedKey: a["enc"]})
	}
	branch, err := branchFromNode(content)
	if err != nil {
		return tree, err
	}
	tree.Branches = sops.TreeBranches{branch}
	tree.Metadata = sops.Metadata{
		KeyGroups:                 []sops.KeyGroup{group},
		LastModified:              lastModified,
		MessageAuthenticationCode: raw.MAC,
		EncryptedRegex:            raw.EncryptedRegex,
		Version:                   raw.Version,
	}
	if _, err := selector(tree.Metadata); err != nil {
		return tree, err
	}
	return tree, nil
}

// branchFromNode builds the tree the sops YAML store would build for a
// comment-free document.
func branchFromNode(n *yaml.Node) (sops.TreeBranch, error) {
	b := make(sops.TreeBranch, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.HeadComment+k.LineComment+k.FootComment+v.HeadComment+v.LineComment+v.FootComment != "" {
			return nil, errSlowPath
		}
		val, err := valueFromNode(v)
		if err != nil {
			return nil, err
		}
		b = append(b, sops.TreeItem{Key: k.Value, Value: val})
	}
	return b, nil
}

func valueFromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return branchFromNode(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			if c.HeadComment+c.LineComment+c.FootComment != "" {
				return nil, errSlowPath
			}
			v, err := valueFromNode(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return n.Value, nil
		case "!!null":
			return nil, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, errSlowPath
}

// open decrypts a loaded tree: data key, values, MAC. Before anything is
// decrypted, every encrypted value's type tag must be one dossier reads
// (the sops library panics on type:bytes), and a tree with comments goes
// straight to the sops library's walk, which keeps them out of the MAC as
// "sops -d" does; the fast walk decrypts in place and cannot hand a half
// decrypted tree over.
func open(tree sops.Tree, ids *Identities) (*File, error) {
	quiet()
	if err := checkTypes(tree); err != nil {
		return nil, err
	}
	dataKey, err := dataKey(tree.Metadata, ids)
	if err != nil {
		return nil, err
	}
	cipher := aes.NewCipher()
	walk := walkTree
	comments := hasComments(tree.Branches)
	if comments {
		walk = func(*sops.Tree, bool, func(any, string) (any, error)) (string, error) { return "", errSlowPath }
	}
	sp := &spliced{}
	mac, err := walk(&tree, false, func(v any, path string) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected an encrypted value at %s", path)
		}
		sp.encs = append(sp.encs, s)
		return cipher.Decrypt(s, dataKey, path)
	})
	if errors.Is(err, errSlowPath) {
		sp = nil
		mac, err = tree.Decrypt(dataKey, cipher)
	}
	if err != nil {
		return nil, ErrTampered
	}
	fileMac, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil || fileMac != mac {
		return nil, ErrTampered
	}
	tree.Metadata.DataKey = dataKey
	f := &File{tree: tree, cipher: cipher, rewrite: comments, spliced: sp}
	for _, b := range tree.Branches {
		if datesAsText(b) {
			f.rewrite = true
		}
	}
	return f, nil
}
