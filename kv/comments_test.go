package kv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCommentsNameExistingMembers: a comment that points the reader at Type.Member of this
// package (a method or a field) names one that exists, so that it cannot outlive a rename.
func TestCommentsNameExistingMembers(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", nil, parser.ParseComments)
	require.NoError(t, err)
	pkg := pkgs["kv"]
	require.NotNil(t, pkg)
	members := map[string]map[string]bool{} // type -> methods and fields
	member := func(typ, name string) {
		if members[typ] == nil {
			members[typ] = map[string]bool{}
		}
		members[typ][name] = true
	}
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					typ := d.Recv.List[0].Type
					if star, ok := typ.(*ast.StarExpr); ok {
						typ = star.X
					}
					member(typ.(*ast.Ident).Name, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok {
						continue
					}
					member(ts.Name.Name, "")
					if st, ok := ts.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							for _, n := range fld.Names {
								member(ts.Name.Name, n.Name)
							}
							if len(fld.Names) == 0 { // embedded: its members are promoted
								if id, ok := fld.Type.(*ast.Ident); ok {
									member(ts.Name.Name, id.Name)
								}
							}
						}
					}
				}
			}
		}
	}
	ref := regexp.MustCompile(`\b([A-Z]\w*)\.([A-Za-z_]\w*)`)
	checked := 0
	for name, f := range pkg.Files {
		for _, cg := range f.Comments {
			for _, m := range ref.FindAllStringSubmatch(cg.Text(), -1) {
				typ, name2 := m[1], m[2]
				if members[typ] == nil {
					continue // not a type of this package
				}
				checked++
				require.True(t, members[typ][name2], "%s: comment names %s.%s, which does not exist", name, typ, name2)
			}
		}
	}
	require.NotZero(t, checked)
}
