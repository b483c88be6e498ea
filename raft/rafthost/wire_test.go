package rafthost

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestWireFormsAreTheMessage: whatever form a message travels in, the receiver steps the
// message that was sent, and the network counts, hashes and traces that message: the wire
// forms change no byte count and no trace hash.
func TestWireFormsAreTheMessage(t *testing.T) {
	ents := func(cmds ...string) []raft.Entry {
		var es []raft.Entry
		for i, c := range cmds {
			es = append(es, raft.Entry{Term: 3, Index: 5 + i, Command: []byte(c)})
		}
		return es
	}
	tests := []struct {
		name string
		m    raft.Message
		form any // the wire form Clone must choose
	}{
		{"vote request", raft.Message{Type: raft.MsgVote, From: 1, To: 2, Term: 7, LastLogIndex: 40, LastLogTerm: 6}, &small{}},
		{"vote granted", raft.Message{Type: raft.MsgVoteResp, From: 2, To: 1, Term: 7, Granted: true}, &small{}},
		{"append ok", raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 7, PrevIndex: 40, Success: true, MatchIndex: 41}, &small{}},
		{"append rejected", raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 7, PrevIndex: 40, ConflictIndex: 33, ConflictTerm: -1}, &small{}},
		{"stale-term response", raft.Message{Type: raft.MsgSnapResp, From: 2, To: 1, Term: 9, ConflictTerm: -1}, &small{}},
		{"snapshot ok", raft.Message{Type: raft.MsgSnapResp, From: 2, To: 1, Term: 7, Success: true, MatchIndex: 90}, &small{}},
		{"heartbeat", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 40, PrevTerm: 6, Commit: 39}, &heartbeat{}},
		{"first heartbeat", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 1}, &small{}},
		{"empty entries", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, Entries: []raft.Entry{}}, &append24{}},
		{"one entry", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 4, PrevTerm: 2, Entries: ents("abc"), Commit: 3}, &append24{}},
		{"entries", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 4, PrevTerm: 2, Entries: ents("abc", "", "defg"), Commit: 4}, &append24{}},
		{"nil command", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, Entries: []raft.Entry{{Term: 7, Index: 1}}}, &append24{}},
		{"snapshot", raft.Message{Type: raft.MsgSnap, From: 1, To: 2, Term: 7, Snapshot: raft.SnapshotMeta{Index: 90, Term: 6}, Data: []byte("state")}, &raft.Message{}},
		{"append with a vote field", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, Commit: 2, LastLogIndex: 3}, &raft.Message{}},
		{"node beyond a byte", raft.Message{Type: raft.MsgVoteResp, From: 2, To: math.MaxUint8 + 1, Term: 7}, &raft.Message{}},
		{"node beyond int32", raft.Message{Type: raft.MsgVoteResp, From: math.MaxInt32 + 1, To: 1, Term: 7}, &raft.Message{}},
		{"match beyond int32", raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 7, Success: true, MatchIndex: math.MaxInt32 + 1}, &raft.Message{}},
		{"conflict below int32", raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 7, ConflictIndex: math.MinInt32 - 1}, &raft.Message{}},
		{"commit beyond int32", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 40, PrevTerm: 6, Commit: math.MaxInt32 + 1}, &raft.Message{}},
		{"entries beyond int32", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: math.MaxInt32 - 1, PrevTerm: 6,
			Entries: []raft.Entry{{Term: 7, Index: math.MaxInt32}, {Term: 7, Index: math.MaxInt32 + 1}}}, &raft.Message{}},
		{"entries up to int32", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: math.MaxInt32, PrevIndex: math.MaxInt32 - 2, PrevTerm: 6,
			Entries: []raft.Entry{{Term: 7, Index: math.MaxInt32 - 1}, {Term: 7, Index: math.MaxInt32}}, Commit: math.MaxInt32}, &append24{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.m
			sent := tt.m
			sent.Entries = append([]raft.Entry(nil), tt.m.Entries...) // keep tt.m intact
			if tt.m.Entries != nil && len(tt.m.Entries) == 0 {
				sent.Entries = []raft.Entry{}
			}
			for i, e := range sent.Entries {
				if e.Command != nil {
					sent.Entries[i].Command = append([]byte{}, e.Command...)
				}
			}
			if tt.m.Data != nil {
				sent.Data = append([]byte{}, tt.m.Data...)
			}
			out := (*outgoing)(&sent)
			wire := out.Clone()
			require.IsType(t, tt.form, wire)
			w := wire.(netsim.Message)
			require.Equal(t, sent.Size(), w.Size(), "byte count")
			require.Equal(t, sent.Digest(), w.(netsim.Digester).Digest(), "trace hash")
			require.Equal(t, sent.String(), w.(interface{ String() string }).String(), "trace")
			require.Equal(t, sent.Digest(), out.Digest())
			require.Equal(t, sent.Size(), out.Size())
			require.Equal(t, orig, received(wire))

			// A duplicate delivery clones the wire form: the same message again.
			dup := w.Clone()
			require.IsType(t, tt.form, dup)
			require.Equal(t, orig, received(dup))

			// Nothing the sender does afterwards reaches the copies.
			for i := range sent.Entries {
				if len(sent.Entries[i].Command) > 0 {
					sent.Entries[i].Command[0] = 'X'
				}
				sent.Entries[i].Term = 99
			}
			if len(sent.Data) > 0 {
				sent.Data[0] = 'X'
			}
			sent.Term, sent.MatchIndex = 99, 99
			require.Equal(t, orig, received(wire))
			require.Equal(t, orig, received(dup))
			if got := received(wire); len(got.Entries) > 0 {
				got.Entries = append(got.Entries[:1:1], raft.Entry{Term: 1})
				require.Equal(t, orig, received(dup), "an append to one copy's entries reaches no other")
			}
		})
	}
	require.Panics(t, func() { received("not a message") })
}

// TestWireFormSizes pins the sizes wire.go's comment gives (on 64-bit platforms): a form
// that grew past its allocation size class would quietly give back what it saves.
func TestWireFormSizes(t *testing.T) {
	if unsafe.Sizeof(0) != 8 {
		t.Skip("sizes are given for 64-bit platforms")
	}
	require.EqualValues(t, 32, unsafe.Sizeof(small{}))     // a size class of its own
	require.EqualValues(t, 24, unsafe.Sizeof(heartbeat{})) // a size class of its own
	require.EqualValues(t, 64, unsafe.Sizeof(appendMsg{})) // with its digest, a size class too
	require.EqualValues(t, 40, unsafe.Sizeof(appendHead{}))
	// Each inline form fills an allocation size class, and the arrays grow from one to the
	// next: a message takes the smallest that holds its entries, the slice form only beyond.
	sizeClasses := []uintptr{64, 96, 160, 256}
	var forms []uintptr
	for cmdLen := 0; cmdLen <= 1100; cmdLen++ {
		m := raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 1,
			Entries: []raft.Entry{{Term: 1, Index: 1, Command: make([]byte, cmdLen)}}}
		form := wireForm(&m, nil).(appendForm)
		size := len(form.packed()) // the term's byte, the length's one or two, the command
		got := reflect.TypeOf(form).Elem().Size()
		if size > 216 {
			require.IsType(t, &appendMsg{}, form, "%d bytes", size)
			continue
		}
		require.LessOrEqual(t, size, int(got-40), "%d bytes", size)
		if len(forms) == 0 || forms[len(forms)-1] != got {
			forms = append(forms, got)
		}
	}
	require.Equal(t, sizeClasses, forms)
	require.EqualValues(t, 160, unsafe.Sizeof(raft.Message{}))
}

// TestAppendMsgIsTheMessage: for any AppendEntries with contiguous entries (nil, empty and
// long commands, any terms), the packed form counts, hashes and traces as the message, and
// decodes, by received and by a peer's receive into its reused slice, to the message.
func TestAppendMsgIsTheMessage(t *testing.T) {
	var p Peer
	rapid.Check(t, func(t *rapid.T) {
		prev := rapid.IntRange(0, math.MaxInt32-20).Draw(t, "prev")
		n := rapid.IntRange(0, 20).Draw(t, "n")
		m := raft.Message{Type: raft.MsgApp, From: rapid.IntRange(0, 6).Draw(t, "from"), To: rapid.IntRange(0, 6).Draw(t, "to"),
			Term: rapid.IntRange(1, 1<<30).Draw(t, "term"), PrevIndex: prev, PrevTerm: rapid.IntRange(0, 1<<30).Draw(t, "prevTerm"),
			Commit: rapid.IntRange(0, math.MaxInt32).Draw(t, "commit"), Entries: []raft.Entry{}}
		for i := 0; i < n; i++ {
			e := raft.Entry{Term: rapid.IntRange(0, 1<<30).Draw(t, "entryTerm"), Index: prev + 1 + i}
			switch rapid.IntRange(0, 2).Draw(t, "command") {
			case 1:
				e.Command = []byte{}
			case 2:
				e.Command = rapid.SliceOfN(rapid.Byte(), 1, 200).Draw(t, "bytes")
			}
			m.Entries = append(m.Entries, e)
		}
		wire := (*outgoing)(&m).Clone()
		a, ok := wire.(appendForm)
		require.True(t, ok, "%T", wire)
		w := wire.(netsim.Message)
		require.Equal(t, m.Size(), w.Size())
		require.Equal(t, m.Digest(), w.(netsim.Digester).Digest())
		require.Equal(t, m.String(), w.(interface{ String() string }).String())
		require.Equal(t, m, received(a))
		require.Equal(t, m, p.receive(a))
		require.Equal(t, m, received(w.Clone()))
	})
	// Entries that do not follow PrevIndex (the core sends none) travel as a raft.Message.
	m := raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 3, PrevIndex: 4, Entries: []raft.Entry{{Term: 3, Index: 6}}}
	require.IsType(t, &raft.Message{}, (*outgoing)(&m).Clone())
}

// TestPackAppendEveryShortCommand: packAppend sizes an entry whose term and command
// length take a byte each without uvarintLen, and packEntries writes a command of up to 16
// bytes as overlapping words (putShort): every command length from nil to 20 bytes, among
// entries whose term or command length takes two bytes, in inline forms and in an
// appendMsg, arrives as sent.
func TestPackAppendEveryShortCommand(t *testing.T) {
	cmd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(1 + i*37)
		}
		return b
	}
	for n := -1; n <= 20; n++ { // -1: a nil command
		for _, term := range []int{1, 127, 128, 300} {
			for _, count := range []int{1, 2, 3, 6, 9, 13, 20} {
				m := raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 400, PrevIndex: 10, PrevTerm: 1, Commit: 9}
				for i := range count {
					e := raft.Entry{Term: term, Index: 11 + i}
					switch {
					case i%3 == 1:
						e.Command = cmd(130) // a length of two bytes
					case n >= 0:
						e.Command = cmd(n)
					}
					m.Entries = append(m.Entries, e)
				}
				wire := wireForm(&m, nil)
				a := asAppend(wire)
				require.NotNil(t, a, "%T", wire)
				require.Equal(t, m, received(wire), "command length %d, term %d, %d entries", n, term, count)
				require.Equal(t, m.Digest(), wire.(netsim.Digester).Digest())
			}
		}
	}
}

// TestPackAppendLengthByteBoundary: packAppend's one-byte sizing holds for a command
// length up to 126 only, as the length is written plus one (127 needs two bytes): commands
// of 125 to 129 bytes, with terms of one and of two bytes, in every form the sizes reach,
// arrive as sent. TestPackAppendEveryShortCommand's commands are too short to reach the
// bound, and it passed with the sizing taken for lengths up to 127, which undercounts.
func TestPackAppendLengthByteBoundary(t *testing.T) {
	for n := 125; n <= 129; n++ {
		for _, term := range []int{1, 127, 128} {
			for _, count := range []int{1, 2} {
				m := raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 400, PrevIndex: 10, PrevTerm: 1, Commit: 9}
				for i := range count {
					c := make([]byte, n)
					for j := range c {
						c[j] = byte(3 + i + j*29)
					}
					m.Entries = append(m.Entries, raft.Entry{Term: term, Index: 11 + i, Command: c})
				}
				wire := wireForm(&m, nil)
				require.NotNil(t, asAppend(wire), "%T", wire)
				require.Equal(t, m, received(wire), "command length %d, term %d, %d entries", n, term, count)
				require.Equal(t, m.Digest(), wire.(netsim.Digester).Digest())
			}
		}
	}
}

// TestSmallFormsAreTheMessage: a message without entries, in whichever of the two small
// forms it travels, digests, sizes and arrives as the message itself, field by field.
func TestSmallFormsAreTheMessage(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := func(name string) int {
			if rapid.Bool().Draw(t, name+" set") {
				return rapid.IntRange(-1, math.MaxInt32).Draw(t, name)
			}
			return 0
		}
		m := raft.Message{Type: rapid.SampledFrom([]raft.MsgType{raft.MsgVote, raft.MsgVoteResp, raft.MsgApp, raft.MsgAppResp, raft.MsgSnapResp}).Draw(t, "type"),
			From: rapid.IntRange(0, 6).Draw(t, "from"), To: rapid.IntRange(0, 6).Draw(t, "to"), Term: rapid.IntRange(1, 1<<30).Draw(t, "term"),
			LastLogIndex: n("lastLogIndex"), LastLogTerm: n("lastLogTerm"), Granted: rapid.Bool().Draw(t, "granted"),
			PrevIndex: n("prevIndex"), PrevTerm: n("prevTerm"), Commit: n("commit"), Success: rapid.Bool().Draw(t, "success"),
			ConflictIndex: n("conflictIndex"), ConflictTerm: n("conflictTerm"), MatchIndex: n("matchIndex")}
		wire := (*outgoing)(&m).Clone().(netsim.Message)
		switch wire.(type) {
		case *small, *heartbeat:
		default:
			return // a form for fields neither holds (TestWireFormsAreTheMessage)
		}
		require.Equal(t, m.Digest(), wire.(netsim.Digester).Digest())
		require.Equal(t, m.Size(), wire.Size())
		require.Equal(t, m, received(wire))
	})
}

// TestReceivedEntriesAreNotKept: a peer decodes every AppendEntries into one slice
// (receive), which is only right if the core keeps none of a message's entries slice.
// Scribbling over that slice after each request must leave the core's log as sent.
func TestReceivedEntriesAreNotKept(t *testing.T) {
	runTest(t, func(p *sim.Proc) {
		w := p.World()
		g := startGatedPeer(p, netsim.New(w))
		sent := map[int]string{}
		for next := 1; next <= 9; next += 3 {
			var ents []raft.Entry
			for i := next; i < next+3; i++ {
				sent[i] = fmt.Sprintf("cmd %d", i)
				ents = append(ents, raft.Entry{Term: 1, Index: i, Command: []byte(sent[i])})
			}
			// Sent as a peer sends it, so it travels as an appendMsg.
			g.ep.Call(g.a.ID, methodOf(raft.MsgApp), (*outgoing)(&raft.Message{Type: raft.MsgApp, From: 1, To: 0, Term: 1,
				PrevIndex: next - 1, PrevTerm: min(1, next-1), Entries: ents}), func(any, bool) {})
			p.Sleep(time.Millisecond)
			if len(g.peer.recvEntries) != 3 {
				p.Fatalf("test", "the peer decoded %d entries, want 3", len(g.peer.recvEntries))
			}
			for i := range g.peer.recvEntries {
				g.peer.recvEntries[i] = raft.Entry{Term: 99, Index: 99, Command: []byte("scribbled")}
			}
			for len(g.gate.held) > 0 {
				g.gate.release()
				p.Sleep(time.Millisecond)
			}
		}
		for i := 1; i <= 9; i++ {
			if e, ok := g.peer.Core().Entry(i); !ok || e.Term != 1 || e.Index != i || string(e.Command) != sent[i] {
				p.Fatalf("test", "entry %d is %v (ok %v), want %q of term 1", i, e, ok, sent[i])
			}
		}
	})
}
