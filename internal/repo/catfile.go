package repo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// CatFile reads objects through one "git cat-file --batch" process and
// everything else (refs, config, writing objects) through go-git's
// storage, which it embeds.
//
// go-git reads a pack's whole index into memory and builds a map from
// offsets to ids before it returns the first object: on a repository of
// 50,000 records that was the part of a one-record pre-receive, and of a
// one-customer erasure, that grew with the repository. git looks objects
// up in the index on disk. Run from the pre-receive hook, git also sees
// the push's quarantined objects (it inherits GIT_OBJECT_DIRECTORY and
// GIT_ALTERNATE_OBJECT_DIRECTORIES).
type CatFile struct {
	*filesystem.Storage
	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer // what git said, for the error of Close
}

// openObjects opens the repository at root with its objects read through
// git cat-file; the caller closes the CatFile.
func openObjects(root string) (*git.Repository, *CatFile, error) {
	r, err := Open(root)
	if err != nil {
		return nil, nil, err
	}
	cf, err := r.Objects()
	if err != nil {
		return nil, nil, err
	}
	return r.Repository, cf, nil
}

// NewCatFile starts git cat-file on the repository at gitDir; st is the
// same repository's go-git storage.
func NewCatFile(gitDir string, st *filesystem.Storage) (*CatFile, error) {
	cmd := AtGitDir(gitDir).Command("cat-file", "--batch")
	c := &CatFile{Storage: st, cmd: cmd}
	cmd.Stderr = &c.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	c.in, c.out = in, bufio.NewReaderSize(out, 64<<10)
	return c, nil
}

// Close ends the git process.
func (c *CatFile) Close() error {
	// Closing git's stdin is what ends it; Wait reports how it ended.
	_ = c.in.Close()
	if err := c.cmd.Wait(); err != nil {
		return newError([]string{"cat-file", "--batch"}, err, c.stderr.String())
	}
	return nil
}

// read asks git for h and returns its type and content.
func (c *CatFile) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.in, h.String()+"\n"); err != nil {
		return 0, nil, err
	}
	return c.answer()
}

// ReadEach reads many objects in one pipelined exchange (all requests
// written while the answers are read), calling fn in order: a push of a
// thousand records is not a thousand round trips to git.
func (c *CatFile) ReadEach(hs []plumbing.Hash, fn func(i int, data []byte, err error)) error {
	return c.ReadEachMax(hs, 0, fn)
}

// ErrTooLarge is an object above the size a caller reads: its content
// was skipped, never held in memory.
var ErrTooLarge = errors.New("object above the size limit")

// ReadEachMax is ReadEach, but an object larger than max bytes (max > 0)
// is passed to fn as ErrTooLarge without its content: git's answer states
// the size first, and the content is then discarded as it streams by, so a
// pushed 200 MB blob costs no memory.
func (c *CatFile) ReadEachMax(hs []plumbing.Hash, max int, fn func(i int, data []byte, err error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	written := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(c.in)
		for _, h := range hs {
			if _, err := w.WriteString(h.String() + "\n"); err != nil {
				written <- err
				return
			}
		}
		written <- w.Flush()
	}()
	for i := range hs {
		_, _, data, err := c.answerMax(max)
		if err != nil && err != plumbing.ErrObjectNotFound && err != ErrTooLarge {
			return err // the exchange is broken; later answers cannot be trusted
		}
		fn(i, data, err)
	}
	return <-written
}

// answer reads git's answer to one request.
func (c *CatFile) answer() (plumbing.ObjectType, []byte, error) {
	_, typ, data, err := c.answerNamed()
	return typ, data, err
}

// answerNamed is answer with the object's id.
func (c *CatFile) answerNamed() (plumbing.Hash, plumbing.ObjectType, []byte, error) {
	return c.answerMax(0)
}

// answerMax is answerNamed that skips content above max bytes (max > 0).
func (c *CatFile) answerMax(max int) (plumbing.Hash, plumbing.ObjectType, []byte, error) {
	line, err := c.out.ReadString('\n')
	if err != nil {
		return plumbing.ZeroHash, 0, nil, err
	}
	if strings.HasSuffix(line, " missing\n") {
		return plumbing.ZeroHash, 0, nil, plumbing.ErrObjectNotFound
	}
	fields := strings.Fields(line)
	if len(fields) != 3 || !plumbing.IsHash(fields[0]) {
		return plumbing.ZeroHash, 0, nil, fmt.Errorf("git cat-file: unexpected answer %q", strings.TrimSpace(line))
	}
	typ, err := plumbing.ParseObjectType(fields[1])
	if err != nil {
		return plumbing.ZeroHash, 0, nil, err
	}
	size, err := strconv.Atoi(fields[2])
	if err != nil {
		return plumbing.ZeroHash, 0, nil, err
	}
	if max > 0 && size > max {
		if _, err := io.CopyN(io.Discard, c.out, int64(size)+1); err != nil {
			return plumbing.ZeroHash, 0, nil, err
		}
		return plumbing.NewHash(fields[0]), typ, nil, ErrTooLarge
	}
	data := make([]byte, size+1) // the content and its newline
	if _, err := io.ReadFull(c.out, data); err != nil {
		return plumbing.ZeroHash, 0, nil, err
	}
	return plumbing.NewHash(fields[0]), typ, data[:size], nil
}

func (c *CatFile) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	typ, data, err := c.read(h)
	if err != nil {
		return nil, err
	}
	if t != plumbing.AnyObject && t != typ {
		return nil, plumbing.ErrObjectNotFound
	}
	obj := &plumbing.MemoryObject{}
	obj.SetType(typ)
	if _, err := obj.Write(data); err != nil {
		return nil, err
	}
	return obj, nil
}

func (c *CatFile) HasEncodedObject(h plumbing.Hash) error {
	_, _, err := c.read(h)
	return err
}

func (c *CatFile) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	_, data, err := c.read(h)
	return int64(len(data)), err
}
