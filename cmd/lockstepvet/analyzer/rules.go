package analyzer

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
)

// Why each rule matters: the second half of every message.
const (
	whyGo      = "simulated code must run on the event loop, where the seed fixes the order; use World.Spawn (a sim.Proc) or Node.After"
	whyChan    = "channels hand work between goroutines in the order the Go scheduler picks, not the seed; use event-loop callbacks or Proc.Suspend"
	whySync    = "simulated code runs one event at a time; a lock or atomic means goroutines whose interleaving the seed does not fix"
	whyTime    = "it reads or waits on the real clock; use virtual time (World.Now, Proc.Sleep, Node.After)"
	whyRand    = "draw from a seeded stream (World.Rand, Node.Rand)"
	whyHost    = "it reaches the machine outside the simulation, which the seed does not fix; use the node's Disk, netsim, or pass the value in through Options"
	whyAddress = "it exposes an address, and addresses differ between runs; order and name things by a stable key"
)

// walk applies every rule to the file.
func (c *checker) walk() {
	info := c.pass.TypesInfo
	ast.PreorderStack(c.file, nil, func(n ast.Node, stack []ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			c.report(n.Go, "goroutine start: %s", whyGo)

		case *ast.SelectStmt:
			c.report(n.Select, "select: %s", whyChan)
			// The select is the report: its cases need no other.
			for _, cl := range n.Body.List {
				switch comm := cl.(*ast.CommClause).Comm.(type) {
				case *ast.SendStmt:
					c.skip[comm] = true
				case *ast.ExprStmt:
					c.skip[ast.Unparen(comm.X)] = true
				case *ast.AssignStmt:
					c.skip[ast.Unparen(comm.Rhs[0])] = true
				}
			}

		case *ast.SendStmt:
			if !c.skip[n] {
				c.report(n.Pos(), "channel send: %s", whyChan)
			}

		case *ast.UnaryExpr:
			if n.Op == token.ARROW && !c.skip[n] {
				c.report(n.Pos(), "channel receive: %s", whyChan)
			}

		case *ast.RangeStmt:
			t := info.TypeOf(n.X)
			switch {
			case t == nil:
			case isChan(t):
				c.report(n.For, "range over channel: %s", whyChan)
			case isMap(t):
				c.mapRange(n, stack)
			case isMapIterator(info, n.X):
				c.mapRange(n, stack)
			}

		case *ast.CallExpr:
			c.call(n, stack)

		case *ast.Ident:
			c.ident(n, stack)
		}
		return true
	})
}

// call checks closing channels, address conversions, %p and collecting map
// keys without sorting.
func (c *checker) call(call *ast.CallExpr, stack []ast.Node) {
	info := c.pass.TypesInfo
	fun := ast.Unparen(call.Fun)
	if tv, ok := info.Types[fun]; ok && tv.IsType() {
		// A conversion: unsafe.Pointer to an integer exposes an address.
		if len(call.Args) == 1 && isUnsafePointer(info.TypeOf(call.Args[0])) {
			if b, ok := tv.Type.Underlying().(*types.Basic); ok && b.Info()&types.IsInteger != 0 {
				c.report(call.Pos(), "unsafe.Pointer to %s: %s", types.TypeString(tv.Type, types.RelativeTo(c.pass.Pkg)), whyAddress)
			}
		}
		return
	}
	if id, ok := fun.(*ast.Ident); ok {
		if b, ok := info.Uses[id].(*types.Builtin); ok && b.Name() == "close" {
			c.report(call.Pos(), "channel close: %s", whyChan)
			return
		}
	}
	if f := calledFunc(info, call); f != nil && isPkgFunc(f, "slices", "Collect") && len(call.Args) == 1 && isMapIterator(info, call.Args[0]) {
		if target := assignedTo(call, stack); target == nil || !c.sortedAfter(target, stack) {
			c.report(call.Pos(), "slices.Collect over a map iterator: the slice is in Go's random map order and is not sorted after; use slices.Sorted")
		}
	}
	if format, ok := formatArg(info, call); ok && hasPointerVerb(format) {
		c.report(call.Pos(), "%%p verb in a format string: %s", whyAddress)
	}
}

// ident checks references to the standard library's nondeterministic
// objects.
func (c *checker) ident(id *ast.Ident, stack []ast.Node) {
	obj := c.pass.TypesInfo.Uses[id]
	if obj == nil || obj.Pkg() == nil {
		return
	}
	if _, ok := obj.(*types.PkgName); ok || obj.Pkg() == c.pass.Pkg {
		return // a package's own objects are not the hazards
	}
	pkg := obj.Pkg().Path()
	name := obj.Name()
	qualified := pkg + "." + name
	pos := id.Pos()
	if len(stack) > 0 {
		if sel, ok := stack[len(stack)-1].(*ast.SelectorExpr); ok && sel.Sel == id {
			pos = sel.Pos()
		}
	}
	packageLevel := obj.Parent() == obj.Pkg().Scope()
	fn, isFunc := obj.(*types.Func)

	switch pkg {
	case "sync", "sync/atomic":
		if packageLevel {
			c.report(pos, "sync primitive %s: %s", qualified, whySync)
		}
	case "time":
		if packageLevel && isFunc && wallTime[name] {
			c.report(pos, "wall time %s: %s", qualified, whyTime)
		}
	case "math/rand", "math/rand/v2":
		if packageLevel && isFunc && !seededRand[name] {
			c.report(pos, "global randomness %s: it draws from the package's global source, which the run's seed does not fix; %s", qualified, whyRand)
		}
	case "crypto/rand":
		if packageLevel {
			c.report(pos, "crypto randomness %s: it cannot be seeded, so the run's seed does not fix it; %s", qualified, whyRand)
		}
	case "os", "os/exec", "os/signal", "os/user", "net", "net/http":
		if packageLevel && (isFunc && !pureHost[qualified] || hostVars[qualified]) {
			c.report(pos, "host call %s: %s", qualified, whyHost)
		}
	case "reflect":
		if isFunc && isMethodOf(fn, "reflect", "Value") {
			switch name {
			case "Pointer", "UnsafePointer", "UnsafeAddr":
				c.report(pos, "reflect.Value.%s: %s", name, whyAddress)
			case "MapKeys", "MapRange":
				c.report(pos, "reflect.Value.%s: it yields a map's entries in Go's random map order; sort them", name)
			}
		}
	}
}

// wallTime lists package time's functions that read or wait on the real
// clock.
var wallTime = map[string]bool{
	"Now": true, "Sleep": true, "After": true, "AfterFunc": true, "Tick": true,
	"NewTimer": true, "NewTicker": true, "Since": true, "Until": true,
}

// seededRand lists math/rand's and math/rand/v2's functions that build a
// generator from an explicit seed or source rather than draw from the
// global one.
var seededRand = map[string]bool{
	"New": true, "NewSource": true, "NewZipf": true, "NewPCG": true, "NewChaCha8": true,
}

// pureHost lists os and net functions that only compute on their
// arguments.
var pureHost = map[string]bool{
	"os.IsExist": true, "os.IsNotExist": true, "os.IsPermission": true, "os.IsTimeout": true,
	"os.IsPathSeparator": true, "os.NewSyscallError": true,
	"net.ParseIP": true, "net.ParseCIDR": true, "net.ParseMAC": true, "net.IPv4": true,
	"net.IPv4Mask": true, "net.CIDRMask": true, "net.JoinHostPort": true, "net.SplitHostPort": true,
}

// hostVars lists the host's inputs that are variables.
var hostVars = map[string]bool{"os.Args": true, "os.Stdin": true}

// calledFunc returns the function or method call calls, if it is one.
func calledFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		f, _ := info.Uses[fun].(*types.Func)
		return f
	case *ast.SelectorExpr:
		f, _ := info.Uses[fun.Sel].(*types.Func)
		return f
	case *ast.IndexExpr: // generic instantiation
		return calledFunc(info, &ast.CallExpr{Fun: fun.X})
	case *ast.IndexListExpr:
		return calledFunc(info, &ast.CallExpr{Fun: fun.X})
	}
	return nil
}

// isPkgFunc reports whether f is the package-level function pkg.name.
func isPkgFunc(f *types.Func, pkg string, names ...string) bool {
	if f.Pkg() == nil || f.Pkg().Path() != pkg || f.Signature().Recv() != nil {
		return false
	}
	for _, n := range names {
		if f.Name() == n {
			return true
		}
	}
	return false
}

// isMethodOf reports whether f is a method of the named type pkg.typ.
func isMethodOf(f *types.Func, pkg, typ string) bool {
	named := recvNamed(f)
	return named != nil && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == pkg && named.Obj().Name() == typ
}

// recvNamed returns the named type whose method f is.
func recvNamed(f *types.Func) *types.Named {
	recv := f.Signature().Recv()
	if recv == nil {
		return nil
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, _ := types.Unalias(t).(*types.Named)
	return named
}

func isChan(t types.Type) bool {
	_, ok := coreType(t).(*types.Chan)
	return ok
}

func isMap(t types.Type) bool {
	_, ok := coreType(t).(*types.Map)
	return ok
}

// coreType is t's underlying type, or for a type parameter the one
// underlying type all its terms share (nil if none).
func coreType(t types.Type) types.Type {
	tp, ok := types.Unalias(t).(*types.TypeParam)
	if !ok {
		return t.Underlying()
	}
	iface, _ := tp.Constraint().Underlying().(*types.Interface)
	if iface == nil {
		return nil
	}
	var core types.Type
	for i := 0; i < iface.NumEmbeddeds(); i++ {
		terms := []*types.Term{}
		switch e := iface.EmbeddedType(i).(type) {
		case *types.Union:
			for j := 0; j < e.Len(); j++ {
				terms = append(terms, e.Term(j))
			}
		default:
			terms = append(terms, types.NewTerm(false, e))
		}
		for _, term := range terms {
			u := term.Type().Underlying()
			if _, isIface := u.(*types.Interface); isIface {
				continue
			}
			if core != nil && !types.Identical(core, u) {
				return nil
			}
			core = u
		}
	}
	return core
}

// isMapIterator reports whether e is maps.Keys, maps.Values or maps.All
// applied to a map: an iterator in Go's random map order.
func isMapIterator(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	f := calledFunc(info, call)
	return f != nil && isPkgFunc(f, "maps", "Keys", "Values", "All")
}

func isUnsafePointer(t types.Type) bool {
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.UnsafePointer
}

// formatArg returns the constant format string of a printf-like call: one
// whose last two parameters are a string and ...any.
func formatArg(info *types.Info, call *ast.CallExpr) (string, bool) {
	sig, ok := info.TypeOf(call.Fun).(*types.Signature)
	if !ok || !sig.Variadic() {
		return "", false
	}
	params := sig.Params()
	n := params.Len()
	if n < 2 || len(call.Args) < n-1 {
		return "", false
	}
	if b, ok := params.At(n - 2).Type().Underlying().(*types.Basic); !ok || b.Info()&types.IsString == 0 {
		return "", false
	}
	last, ok := params.At(n - 1).Type().(*types.Slice)
	if !ok {
		return "", false
	}
	if iface, ok := last.Elem().Underlying().(*types.Interface); !ok || !iface.Empty() {
		return "", false
	}
	tv := info.Types[call.Args[n-2]]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// hasPointerVerb reports whether a printf format uses the %p verb.
func hasPointerVerb(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		// Flags, argument indexes, width and precision.
		for i < len(format) && isVerbPrefix(format[i]) {
			i++
		}
		if i < len(format) && format[i] == 'p' {
			return true
		}
	}
	return false
}

func isVerbPrefix(b byte) bool {
	return b == '+' || b == '-' || b == '#' || b == ' ' || b == '0' ||
		b >= '1' && b <= '9' || b == '.' || b == '*' || b == '[' || b == ']'
}
