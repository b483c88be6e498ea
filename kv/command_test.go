package kv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSendersCopyIntoTheirSlabs: a clerk's OpArgsSender and a server's replySender copy
// what they send into plain *OpArgs and *OpReply (what the other side type-asserts), each
// copy its own: changing the sender after a send, as the clerk and the server do for the
// next attempt or answer, leaves every copy sent before as it was.
func TestSendersCopyIntoTheirSlabs(t *testing.T) {
	var args OpArgsSender
	var sent []*OpArgs
	for i := range 70 { // past two chunks of the slab
		args.Command = Command{Op: OpAppend, Client: 1, Seq: int64(i), Key: "k", Value: fmt.Sprint(i)}
		c, ok := args.Clone().(*OpArgs)
		require.True(t, ok)
		require.Equal(t, args.OpArgs, *c)
		sent = append(sent, c)
	}
	for i, c := range sent {
		require.Equal(t, OpArgs{Command{Op: OpAppend, Client: 1, Seq: int64(i), Key: "k", Value: fmt.Sprint(i)}}, *c)
	}
	require.Equal(t, args.OpArgs.Size(), args.Size())

	var reply replySender
	var answers []*OpReply
	for i := range 70 {
		reply.OpReply = OpReply{Value: fmt.Sprint(i), Leader: i % 3}
		c, ok := reply.Clone().(*OpReply)
		require.True(t, ok)
		answers = append(answers, c)
	}
	for i, c := range answers {
		require.Equal(t, OpReply{Value: fmt.Sprint(i), Leader: i % 3}, *c)
	}
}

// TestReplySenderTracesAsAnOpReply: a trace shows a server's reply as it showed an
// *OpReply, which has no String method (netsim prints it with %+v, without the "&").
func TestReplySenderTracesAsAnOpReply(t *testing.T) {
	r := replySender{OpReply: OpReply{Err: ErrWrongLeader, Value: "v", Leader: -1}}
	require.Equal(t, strings.TrimPrefix(fmt.Sprintf("%+v", &r.OpReply), "&"), r.String())
	require.Equal(t, "{Err:ErrWrongLeader Value:v Leader:-1}", r.String())
}
