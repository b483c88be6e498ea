package netsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWatchListStaysBounded: a handler that never responds, to callers that
// give up, must not make its server's list of waiting calls grow with every
// call: the calls no one waits for are pruned.
func TestWatchListStaysBounded(t *testing.T) {
	w, cep, sep, server := clientServer()
	sep.Handle("Never", func(*Request, func(Message)) {})
	failed, most := 0, 0
	for k := 0; k < 2000; k++ {
		w.Schedule(time.Duration(k)*time.Millisecond, "call", func() {
			cep.CallTimeout(server, "Never", blob{}, 10*time.Millisecond, func(_ any, ok bool) {
				require.False(t, ok)
				failed++
			})
			most = max(most, len(sep.watched))
		})
	}
	require.Nil(t, w.Run())
	require.Equal(t, 2000, failed)
	require.LessOrEqual(t, most, 64+10, "the list grew to %d", most)
}
