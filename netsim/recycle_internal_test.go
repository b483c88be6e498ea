package netsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSparesStayBounded: copies given back that no message recopies (blob
// is no Recopier) do not pile up on the endpoint that gets them: each copy
// the network makes for that endpoint drops one.
func TestSparesStayBounded(t *testing.T) {
	w, cep, sep, server := clientServer()
	sep.HandleRequestRecycledArgs("Blob", func(req *Request) { req.Respond(blob{}) })
	replies, most := 0, 0
	for k := 0; k < 200; k++ {
		w.Schedule(time.Duration(k)*time.Millisecond, "call", func() {
			cep.Call(server, "Blob", blob{}, func(reply any, ok bool) {
				require.True(t, ok)
				replies++
				cep.RecycleReply(reply)
			})
			most = max(most, sep.spareArgs.Len(), cep.spareReplies.Len())
		})
	}
	require.Nil(t, w.Run())
	require.Equal(t, 200, replies)
	require.LessOrEqual(t, most, 1, "a list of spare copies grew to %d", most)
}
