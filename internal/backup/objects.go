package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
)

// objectStore is what readAll needs of a repository: go-git's reading of
// the packs on the disk (repo.Open's Storer), an implementation of its own
// beside git fsck's.
type objectStore interface {
	EncodedObject(plumbing.ObjectType, plumbing.Hash) (plumbing.EncodedObject, error)
}

// maxListed bounds the problems listed one by one: a damaged delta base
// breaks every object built on it.
const maxListed = 20

// readAll reads every object reachable from refs through go-git, hashes
// its content and compares the hash with the object's id, so a flipped
// byte or a truncated pack is reported with the id of the object it
// damaged. It returns how many objects it read.
func readAll(st objectStore, refs Refs, progress io.Writer) (int, Findings) {
	var p Findings
	more := 0
	report := func(format string, a ...any) {
		if len(p) < maxListed {
			p = append(p, problem(Damaged, format, a...))
		} else {
			more++
		}
	}
	type item struct{ id, from string }
	seen := map[plumbing.Hash]bool{}
	var stack []item
	for _, name := range keys(refs.Refs) {
		stack = append(stack, item{refs.Refs[name], name})
	}
	n := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		h := plumbing.NewHash(it.id)
		if seen[h] {
			continue
		}
		seen[h] = true
		n++
		if progress != nil && n%10000 == 0 {
			fmt.Fprintf(progress, "\rchecked %d objects", n)
		}
		typ, data, err := readObject(st, h)
		switch {
		case errors.Is(err, plumbing.ErrObjectNotFound):
			report("object %s is missing (reached from %s)", it.id, it.from)
			continue
		case err != nil:
			report("object %s is corrupt (reached from %s): %v", it.id, it.from, err)
			continue
		}
		for _, child := range links(typ, data) {
			stack = append(stack, item{child, it.id})
		}
	}
	if progress != nil && n >= 10000 {
		fmt.Fprintf(progress, "\rchecked %d objects\n", n)
	}
	if more > 0 {
		p = append(p, problem(Damaged, "... and %d more damaged objects", more))
	}
	return n, p
}

// readObject reads and hashes one object. go-git may panic on a damaged
// pack; that is a corrupt object too.
func readObject(st objectStore, h plumbing.Hash) (typ plumbing.ObjectType, data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable pack data (%v)", r)
		}
	}()
	o, err := st.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = rd.Close() }() // a reader of an object: closing it loses nothing
	data, err = io.ReadAll(rd)
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) != o.Size() {
		return 0, nil, fmt.Errorf("%d bytes where %d were recorded (truncated)", len(data), o.Size())
	}
	hasher := plumbing.NewHasher(o.Type(), int64(len(data)))
	hasher.Write(data)
	if got := hasher.Sum(); got != h {
		return 0, nil, fmt.Errorf("its content hashes to %s", got)
	}
	return o.Type(), data, nil
}

// links are the ids an object points at: a commit's tree and parents, a
// tree's entries (not submodule commits), a tag's target.
func links(typ plumbing.ObjectType, data []byte) []string {
	var out []string
	switch typ {
	case plumbing.CommitObject, plumbing.TagObject:
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) == 0 {
				break
			}
			for _, key := range []string{"tree ", "parent ", "object "} {
				if bytes.HasPrefix(line, []byte(key)) && len(line) == len(key)+40 {
					out = append(out, string(line[len(key):]))
				}
			}
		}
	case plumbing.TreeObject:
		for len(data) > 0 {
			sp := bytes.IndexByte(data, ' ')
			nul := bytes.IndexByte(data, 0)
			if sp < 0 || nul < sp || len(data) < nul+21 {
				return out
			}
			mode := string(data[:sp])
			if mode != "160000" {
				out = append(out, plumbing.Hash(data[nul+1:nul+21]).String())
			}
			data = data[nul+21:]
		}
	}
	return out
}
