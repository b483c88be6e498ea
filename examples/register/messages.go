package register

// putArgs asks the primary (from a client) or a backup (from the primary)
// to store value as version.
type putArgs struct {
	Version int
	Value   string
}

func (m *putArgs) Size() int  { return 8 + len(m.Value) }
func (m *putArgs) Clone() any { c := *m; return &c }

// getArgs asks the primary for the current value.
type getArgs struct{}

func (m *getArgs) Size() int  { return 1 }
func (m *getArgs) Clone() any { return &getArgs{} }

// reply answers either.
type reply struct {
	OK      bool
	Version int
	Value   string
}

func (m *reply) Size() int  { return 9 + len(m.Value) }
func (m *reply) Clone() any { c := *m; return &c }
