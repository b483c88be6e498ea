package page

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func historyAttachment(t *testing.T, h History) sim.Attachment {
	data, err := json.Marshal(h)
	require.NoError(t, err)
	return sim.Attachment{Name: "kv/linearizability.history.json", MediaType: HistoryMediaType, Data: data}
}

// A client history is drawn as a lane per client, in client order, each
// operation at its virtual call and return; it is not listed as a file.
func TestClientHistoryBecomesLanes(t *testing.T) {
	h := History{Ops: []Op{
		{Client: 3, Call: 5 * time.Millisecond, Return: 9 * time.Millisecond, Key: "a", Text: "put"},
		{Client: 1, Call: 2 * time.Millisecond, Return: 4 * time.Millisecond, Key: "b", Text: "get", Bad: true},
	}}
	c := NewCollector()
	res := sim.Result{Scenario: "t/H", Outcome: sim.Pass, Virtual: 10 * time.Millisecond,
		Attachments: []sim.Attachment{historyAttachment(t, h)}}
	var b bytes.Buffer
	require.NoError(t, c.Write(&b, Run{Result: res}))
	v := c.view(Run{Result: res})
	require.Empty(t, v.Attachments)
	require.Len(t, v.Data.Clients, 1)
	got := v.Data.Clients[0]
	require.Equal(t, []int{1, 3}, got.Lanes)
	require.Equal(t, [][5]int64{
		{int64(2 * time.Millisecond), int64(4 * time.Millisecond), 0, 0, 1},
		{int64(5 * time.Millisecond), int64(9 * time.Millisecond), 1, 1, 0},
	}, got.Ops)
	require.Equal(t, []string{`get (key "b")`, `put (key "a")`}, got.Texts)
	require.Equal(t, 1, got.Bad)
}

// A long history is sampled to maxOps, keeping every operation on a bad key.
func TestLongClientHistoryKeepsEveryBadOperation(t *testing.T) {
	var h History
	for i := 0; i < 3*maxOps; i++ {
		h.Ops = append(h.Ops, Op{Client: i % 7, Call: time.Duration(i), Return: time.Duration(i + 1), Key: fmt.Sprint(i % 5), Text: "op", Bad: i%5 == 0})
	}
	data, err := json.Marshal(h)
	require.NoError(t, err)
	got, err := parseHistory("h", data)
	require.NoError(t, err)
	require.Equal(t, 3*maxOps, got.Total)
	require.Equal(t, 3*maxOps/5, got.Bad)
	require.LessOrEqual(t, len(got.Ops), maxOps)
	bad := 0
	for _, o := range got.Ops {
		bad += int(o[4])
	}
	require.Equal(t, got.Bad, bad)
	require.Greater(t, got.Ops[len(got.Ops)-1][0], int64(3*maxOps*9/10), "the sample covers the whole run")

	_, err = parseHistory("broken", []byte("{"))
	require.ErrorContains(t, err, "client history broken")
}
