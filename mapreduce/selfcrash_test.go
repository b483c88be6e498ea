package mapreduce

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNothingFollowsASelfCrash: a process that crashes its own node is
// unwound inside World.Crash, so a statement after such a call is dead code
// that reads as if it ran. Every call of crashSelf, and the Crash call of a
// worker's own node, must end its block.
func TestNothingFollowsASelfCrash(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			var list []ast.Stmt
			switch b := n.(type) {
			case *ast.BlockStmt:
				list = b.List
			case *ast.CaseClause:
				list = b.Body
			default:
				return true
			}
			for i, st := range list {
				if selfCrash(st) {
					checked++
					require.Equal(t, len(list)-1, i, "%v: statements after a self-crash never run", fset.Position(st.Pos()))
				}
			}
			return true
		})
	}
	require.NotZero(t, checked)
}

// selfCrash reports whether st is a call of crashSelf, or of Crash on
// wk.node (the worker's own node).
func selfCrash(st ast.Stmt) bool {
	es, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	switch sel.Sel.Name {
	case "crashSelf":
		return true
	case "Crash":
		if len(call.Args) == 1 {
			if arg, ok := call.Args[0].(*ast.SelectorExpr); ok && arg.Sel.Name == "node" {
				if x, ok := arg.X.(*ast.Ident); ok && x.Name == "wk" {
					return true
				}
			}
		}
	}
	return false
}
