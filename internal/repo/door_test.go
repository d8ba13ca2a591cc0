package repo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// vocabulary is what packages above repo may import from go-git: the
// names of git's data (hashes, object types, file modes, decoded commits
// and trees). Opening a repository, its storage, pack formats and
// transports are repo's alone.
var vocabulary = []string{
	"github.com/go-git/go-git/v5/plumbing",
	"github.com/go-git/go-git/v5/plumbing/object",
	"github.com/go-git/go-git/v5/plumbing/filemode",
}

// TestRepoIsTheOneDoorToGit holds every package of the module outside
// internal/repo to the rule the package doc states: no go-git beyond the
// vocabulary, and no git process started anywhere but Git.Command.
// Tests and the bench generator may drive git directly.
func TestRepoIsTheOneDoorToGit(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	violations := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "internal/repo" || strings.HasPrefix(rel, "internal/repo/") || rel == "bench" || rel == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/go-git/go-git/v5") && !slices.Contains(vocabulary, p) {
				violations[pkg] = append(violations[pkg], rel+" imports "+p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Command" && sel.Sel.Name != "CommandContext") {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "exec" {
				return true
			}
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, _ := strconv.Unquote(lit.Value); s == "git" {
						violations[pkg] = append(violations[pkg], fset.Position(call.Pos()).String()+" runs git")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, vs := range violations {
		t.Errorf("%s reaches git around internal/repo:\n\t%s", pkg, strings.Join(vs, "\n\t"))
	}
}
