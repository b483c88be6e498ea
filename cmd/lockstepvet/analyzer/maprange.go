package analyzer

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

const whyMapOrder = "Go randomizes map order: range over slices.Sorted(maps.Keys(m)), or sort what the loop collects right after it"

// scheduleNames are methods that act on the run in call order whatever
// their receiver: scheduling, sending, and folding into the trace or digest.
var scheduleNames = map[string]bool{
	"After": true, "AfterFunc": true, "Schedule": true, "Spawn": true, "Call": true,
	"CallProc": true, "CallTimeout": true, "Send": true, "Go": true, "Fold": true,
	"Digest": true, "Logf": true, "Record": true,
}

// kernelOrdered are further methods of the kernel's and the simulated
// network's types whose effect depends on call order: starting, crashing
// and failing nodes, numbering new nodes and endpoints, storage writes
// (which storage faults pick from in order) and draws from a seeded stream.
var kernelOrdered = map[string]bool{
	"Start": true, "Crash": true, "Restart": true, "Pause": true, "Resume": true,
	"Fail": true, "Fatalf": true, "AddNode": true, "Attach": true,
	"WriteFile": true, "WriteFileOwned": true, "AppendFile": true, "Remove": true, "Rename": true, "Sync": true,
	"Uint64": true, "Int64N": true, "IntN": true, "Float64": true, "Chance": true,
	"Duration": true, "Exp": true, "Perm": true, "Shuffle": true,
}

// traceNames are methods that write output in call order.
var traceNames = map[string]bool{
	"Write": true, "WriteString": true, "WriteByte": true, "WriteRune": true,
	"Print": true, "Printf": true, "Println": true, "Log": true,
}

// mapRange reports a range over a map (or a maps iterator) whose body lets
// the iteration order reach the run's results.
func (c *checker) mapRange(rs *ast.RangeStmt, stack []ast.Node) {
	if h := c.orderHazard(rs, stack); h != "" {
		c.report(rs.For, "map range: the body %s; %s", h, whyMapOrder)
	}
}

// orderHazard describes the first thing in rs's body through which the
// iteration order escapes, or returns "".
func (c *checker) orderHazard(rs *ast.RangeStmt, stack []ast.Node) string {
	outer := append(append([]ast.Node(nil), stack...), rs)
	var hazard string
	var exits []ast.Node // early exits, judged after the walk
	ast.PreorderStack(rs.Body, outer, func(n ast.Node, st []ast.Node) bool {
		if hazard != "" {
			return false
		}
		switch n := n.(type) {
		case *ast.SendStmt:
			hazard = fmt.Sprintf("sends on a channel (line %d)", c.line(n.Pos()))
		case *ast.AssignStmt:
			hazard = c.assignHazard(rs, n, st)
		case *ast.CallExpr:
			hazard = c.callHazard(n)
		case *ast.ReturnStmt:
			if !inFuncLit(st, rs) {
				exits = append(exits, n)
			}
		case *ast.BranchStmt:
			if c.exitsLoop(n, rs, st) {
				exits = append(exits, n)
			}
		}
		return true
	})
	if hazard != "" {
		return hazard
	}
	for _, exit := range exits {
		if c.orderFreeExit(rs, exit) {
			continue
		}
		if _, ok := exit.(*ast.ReturnStmt); ok {
			return fmt.Sprintf("returns early (line %d), so which entry decides the result depends on the order", c.line(exit.Pos()))
		}
		return fmt.Sprintf("leaves the loop early (line %d), so which entries it saw depends on the order", c.line(exit.Pos()))
	}
	return ""
}

func (c *checker) line(pos token.Pos) int { return c.pass.Fset.Position(pos).Line }

// assignHazard judges an assignment in the body: appending to a slice that
// outlives the iteration and is not sorted after the loop, or concatenating
// onto such a string.
func (c *checker) assignHazard(rs *ast.RangeStmt, as *ast.AssignStmt, st []ast.Node) string {
	info := c.pass.TypesInfo
	if as.Tok == token.ADD_ASSIGN && len(as.Lhs) == 1 {
		if b, ok := info.TypeOf(as.Lhs[0]).Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 && !c.perIteration(rs, as.Lhs[0]) {
			return fmt.Sprintf("concatenates onto %s (line %d) in iteration order", types.ExprString(as.Lhs[0]), c.line(as.Pos()))
		}
		return ""
	}
	if len(as.Lhs) != len(as.Rhs) {
		return ""
	}
	for i, rhs := range as.Rhs {
		call, ok := ast.Unparen(rhs).(*ast.CallExpr)
		if !ok {
			continue
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident)
		if !ok {
			continue
		}
		if b, ok := info.Uses[id].(*types.Builtin); !ok || b.Name() != "append" {
			continue
		}
		target := as.Lhs[i]
		if c.perIteration(rs, target) || c.keyedByRangeKey(rs, target) {
			continue
		}
		if c.sortedAfter(target, st) {
			continue
		}
		return fmt.Sprintf("appends to %s (line %d), which is not sorted after the loop", types.ExprString(target), c.line(as.Pos()))
	}
	return ""
}

// callHazard judges a call in the body: scheduling, acting on the kernel or
// network, or writing output happens in iteration order.
func (c *checker) callHazard(call *ast.CallExpr) string {
	info := c.pass.TypesInfo
	f := calledFunc(info, call)
	if f == nil {
		return ""
	}
	where := fmt.Sprintf("%s (line %d)", types.ExprString(call.Fun), c.line(call.Pos()))
	if f.Signature().Recv() == nil {
		if isPkgFunc(f, "fmt", "Print", "Printf", "Println", "Fprint", "Fprintf", "Fprintln") ||
			isPkgFunc(f, "log", "Print", "Printf", "Println") {
			return "writes output with " + where
		}
		return ""
	}
	name := f.Name()
	inKernel := false
	if named := recvNamed(f); named != nil && named.Obj().Pkg() != nil {
		p := named.Obj().Pkg().Path()
		inKernel = p == KernelPath || p == netsimPath
	}
	switch {
	case scheduleNames[name], inKernel && kernelOrdered[name]:
		return "calls " + where + ", whose effect depends on the call order"
	case traceNames[name]:
		return "writes output with " + where
	}
	return ""
}

// perIteration reports whether e is rooted at a variable declared by rs or
// inside its body: state that does not outlive one iteration (or, for the
// key and value, belongs to one entry).
func (c *checker) perIteration(rs *ast.RangeStmt, e ast.Expr) bool {
	id := rootIdent(e)
	if id == nil {
		return false
	}
	obj := c.pass.TypesInfo.ObjectOf(id)
	if obj == nil {
		return false
	}
	return obj.Pos() >= rs.Pos() && obj.Pos() < rs.End()
}

// keyedByRangeKey reports whether e is m[k] with k the range's key: each
// such element is touched by one iteration only.
func (c *checker) keyedByRangeKey(rs *ast.RangeStmt, e ast.Expr) bool {
	ix, ok := ast.Unparen(e).(*ast.IndexExpr)
	if !ok {
		return false
	}
	key, ok := rs.Key.(*ast.Ident)
	if !ok || key.Name == "_" {
		return false
	}
	id, ok := ast.Unparen(ix.Index).(*ast.Ident)
	info := c.pass.TypesInfo
	return ok && info.ObjectOf(id) != nil && info.ObjectOf(id) == info.ObjectOf(key)
}

// rootIdent returns the variable at the root of a selector, index or
// dereference chain.
func rootIdent(e ast.Expr) *ast.Ident {
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			return x
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// sortedAfter reports whether a statement after the one holding the node
// whose ancestors are stack, in the same block or an enclosing one of the
// same function, sorts target.
func (c *checker) sortedAfter(target ast.Expr, stack []ast.Node) bool {
	want := types.ExprString(target)
	for i := len(stack) - 1; i > 0; i-- {
		var list []ast.Stmt
		switch b := stack[i-1].(type) {
		case *ast.FuncLit, *ast.FuncDecl:
			return false
		case *ast.BlockStmt:
			list = b.List
		case *ast.CaseClause:
			list = b.Body
		case *ast.CommClause:
			list = b.Body
		default:
			continue
		}
		after := false
		for _, s := range list {
			if after && c.sorts(s, want) {
				return true
			}
			if s == stack[i] {
				after = true
			}
		}
	}
	return false
}

// sorts reports whether s sorts the expression want: it passes it (or an
// expression holding it, such as sort.StringSlice(keys)) first to a sort
// function (package sort's, slices' Sort, SortFunc and SortStableFunc, or
// any function or method whose name starts with "sort" or "Sort", such as
// a helper sortByID(list)), or calls such a method on it.
func (c *checker) sorts(s ast.Stmt, want string) bool {
	holds := func(e ast.Expr) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			if x, ok := n.(ast.Expr); ok && types.ExprString(x) == want {
				found = true
			}
			return !found
		})
		return found
	}
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		if found {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		f := calledFunc(c.pass.TypesInfo, call)
		if f == nil || !isSortFunc(f) {
			return true
		}
		if len(call.Args) > 0 && holds(call.Args[0]) {
			found = true
		} else if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && f.Signature().Recv() != nil && holds(sel.X) {
			found = true
		}
		return !found
	})
	return found
}

// isSortFunc reports whether f sorts its first argument or its receiver.
func isSortFunc(f *types.Func) bool {
	return isPkgFunc(f, "sort", "Strings", "Ints", "Float64s", "Slice", "SliceStable", "Stable") ||
		strings.HasPrefix(f.Name(), "sort") || strings.HasPrefix(f.Name(), "Sort")
}

// assignedTo returns the single variable a call's result is assigned to, if
// the call is the whole right side of an assignment or declaration.
func assignedTo(call *ast.CallExpr, stack []ast.Node) ast.Expr {
	if len(stack) == 0 {
		return nil
	}
	switch p := stack[len(stack)-1].(type) {
	case *ast.AssignStmt:
		if len(p.Lhs) == 1 && len(p.Rhs) == 1 && ast.Unparen(p.Rhs[0]) == call {
			return p.Lhs[0]
		}
	case *ast.ValueSpec:
		if len(p.Names) == 1 && len(p.Values) == 1 && ast.Unparen(p.Values[0]) == call {
			return p.Names[0]
		}
	}
	return nil
}

// inFuncLit reports whether the stack passes through a function literal
// below rs.
func inFuncLit(stack []ast.Node, rs *ast.RangeStmt) bool {
	for i := len(stack) - 1; i >= 0 && stack[i] != rs; i-- {
		if _, ok := stack[i].(*ast.FuncLit); ok {
			return true
		}
	}
	return false
}

// exitsLoop reports whether a break or continue leaves rs: an unlabeled
// break not inside a nested loop, switch or select, or a labeled one whose
// label is outside rs's body (other than a continue of rs itself).
func (c *checker) exitsLoop(br *ast.BranchStmt, rs *ast.RangeStmt, stack []ast.Node) bool {
	if inFuncLit(stack, rs) || br.Tok != token.BREAK && br.Tok != token.CONTINUE {
		return false
	}
	if br.Label == nil {
		if br.Tok != token.BREAK {
			return false
		}
		for i := len(stack) - 1; i >= 0 && stack[i] != rs; i-- {
			switch stack[i].(type) {
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				return false
			}
		}
		return true
	}
	label, ok := c.pass.TypesInfo.Uses[br.Label].(*types.Label)
	if !ok {
		return true
	}
	if label.Pos() >= rs.Body.Pos() && label.Pos() < rs.Body.End() {
		return false
	}
	// The label of rs itself sits just before it.
	own := label.Pos() < rs.Pos() && c.labels(rs)[label.Pos()]
	return !(own && br.Tok == token.CONTINUE)
}

// labels returns the positions of the labels that name rs.
func (c *checker) labels(rs *ast.RangeStmt) map[token.Pos]bool {
	out := map[token.Pos]bool{}
	ast.Inspect(c.file, func(n ast.Node) bool {
		if n == nil || n.Pos() > rs.Pos() || n.End() < rs.End() {
			return false
		}
		if ls, ok := n.(*ast.LabeledStmt); ok && ls.Stmt == ast.Stmt(rs) {
			out[ls.Label.Pos()] = true
		}
		return true
	})
	return out
}

// orderFreeExit reports whether an early exit leaves nothing
// order-dependent behind: a return whose results do not depend on which
// entry triggered it, in a body whose writes to variables that outlive the
// iteration do not depend on the entry either. The typical case is a "does
// any entry match" test: `if bad(v) { return errBad }`, or `found = true;
// break`.
func (c *checker) orderFreeExit(rs *ast.RangeStmt, exit ast.Node) bool {
	if ret, ok := exit.(*ast.ReturnStmt); ok {
		for _, r := range ret.Results {
			if !c.entryFree(rs, r) {
				return false
			}
		}
	}
	ok := true
	ast.Inspect(rs.Body, func(n ast.Node) bool {
		if !ok {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				return true
			}
			for i, l := range n.Lhs {
				if c.perIteration(rs, l) {
					continue
				}
				if n.Tok != token.ASSIGN || len(n.Lhs) != len(n.Rhs) || !c.entryFree(rs, n.Rhs[i]) {
					ok = false
				}
			}
		case *ast.IncDecStmt:
			if !c.perIteration(rs, n.X) {
				ok = false
			}
		}
		return true
	})
	return ok
}

// entryFree reports whether e mentions no variable declared by rs or in its
// body: its value is the same whichever entry is being visited.
func (c *checker) entryFree(rs *ast.RangeStmt, e ast.Expr) bool {
	free := true
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && free {
			if v, ok := c.pass.TypesInfo.Uses[id].(*types.Var); ok && v.Pos() >= rs.Pos() && v.Pos() < rs.End() {
				free = false
			}
		}
		return free
	})
	return free
}
