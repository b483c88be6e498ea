package lease

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// Each check is tested on hand-built histories: one that must pass and one
// that must fail it, so that a check that can never fire is found here and
// not after a sweep that "passed".

func requireCheck(t *testing.T, err error, check string) {
	t.Helper()
	var ce *sim.CheckError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, check, ce.Check)
}

func TestTokensMustGrow(t *testing.T) {
	var c Checker
	require.NoError(t, c.Granted("client1", 1))
	require.NoError(t, c.Granted("client2", 2))
	require.NoError(t, c.Granted("client1", 5), "gaps are fine: a token synced but never sent")
	requireCheck(t, c.Granted("client3", 5), CheckTokens) // granted twice
	requireCheck(t, c.Granted("client3", 1), CheckTokens) // a restarted server that forgot its counter
}

func TestExclusion(t *testing.T) {
	var c Checker
	requireCheck(t, c.Acting("client1", 1), CheckExclusion) // nothing granted yet
	require.NoError(t, c.Granted("client1", 1))
	require.NoError(t, c.Acting("client1", 1))
	require.NoError(t, c.Acting("client1", 1))
	requireCheck(t, c.Acting("client2", 1), CheckExclusion) // someone else's token
	require.NoError(t, c.Granted("client2", 2))
	require.NoError(t, c.Acting("client2", 2))
	err := c.Acting("client1", 1) // client1's lease was superseded
	requireCheck(t, err, CheckExclusion)
	require.ErrorContains(t, err, "client1 acts on its lease of token 1, but the lock server has since granted token 2 to client2")
	require.NoError(t, c.Granted("client1", 3))
	requireCheck(t, c.Acting("client1", 2), CheckExclusion) // the right client, an old token
}

func TestFencing(t *testing.T) {
	var c Checker
	require.NoError(t, c.Applied("client1", 1, 1))
	require.NoError(t, c.Applied("client1", 1, 2))
	require.NoError(t, c.Applied("client2", 3, 1), "a newer token may start at seq 1")
	requireCheck(t, c.Applied("client1", 1, 3), CheckFencing) // an older token, whatever its seq
	requireCheck(t, c.Applied("client2", 3, 1), CheckFencing) // applied twice
	require.NoError(t, c.Applied("client2", 3, 2))
	requireCheck(t, c.Applied("client2", 3, 1), CheckFencing) // an earlier write of the same lease
	require.Equal(t, 4, c.Applies())
}

func TestDurable(t *testing.T) {
	var c Checker
	require.NoError(t, c.Durable(0, 0), "nothing acknowledged, nothing to keep")
	require.NoError(t, c.Applied("client1", 2, 5))
	require.NoError(t, c.Durable(2, 5))
	require.NoError(t, c.Durable(3, 1), "a later write, not yet acknowledged, is fine")
	requireCheck(t, c.Durable(2, 4), CheckDurable)
	requireCheck(t, c.Durable(0, 0), CheckDurable) // the state file is gone
}

// The record tells every corruption the disk model makes (a flipped bit, a
// zeroed sector) and every torn tail from a good record.
func TestRecordDetectsCorruptionAndTears(t *testing.T) {
	good := encode(7, 42, 3, 99)
	fields, err := decode(good, 4)
	require.NoError(t, err)
	require.Equal(t, []uint64{7, 42, 3, 99}, fields)
	for i := range good {
		for bit := range 8 {
			b := append([]byte{}, good...)
			b[i] ^= 1 << bit
			_, err := decode(b, 4)
			require.ErrorContains(t, err, "corrupt", "bit %d of byte %d flipped", bit, i)
		}
	}
	for n := range len(good) {
		_, err := decode(good[:n], 4)
		require.ErrorContains(t, err, "torn", "torn to %d bytes", n)
	}
	_, err = decode(make([]byte, len(good)), 4) // a lost write: the sector reads as zeros
	require.ErrorContains(t, err, "corrupt")
}
