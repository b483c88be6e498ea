package raftsim

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func init() {
	register2A()
}

func register2A() {
	register(def{
		Name:        "raft/InitialElection2A",
		Description: "6.824 TestInitialElection2A: 3 peers elect one leader; terms agree and stay put without failures",
		Run:         initialElection2A,
	})
	register(def{
		Name:        "raft/ReElection2A",
		Description: "6.824 TestReElection2A: a new leader after the old one disconnects; none without a quorum",
		Run:         reElection2A,
	})
}

func initialElection2A(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	c.CheckOneLeader()
	// Sleep a bit to avoid racing with followers learning of the election,
	// then check all peers agree on the term.
	p.Sleep(50 * time.Millisecond)
	term1 := c.CheckTerms()
	if term1 < 1 {
		c.Fatalf("term is %d, but should be at least 1", term1)
	}
	// Does the leader+term stay the same if there is no network failure?
	p.Sleep(2 * RaftElectionTimeout)
	term2 := c.CheckTerms()
	if term1 != term2 {
		// The original only prints a warning here.
		p.World().Logf(nil, "warning: term changed even though there were no failures")
	}
	c.CheckOneLeader()
	c.End()
	return nil
}

func reElection2A(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	leader1 := c.CheckOneLeader()
	// If the leader disconnects, a new one should be elected.
	c.Disconnect(leader1)
	c.CheckOneLeader()
	// If the old leader rejoins, that shouldn't disturb the new leader.
	c.Connect(leader1)
	leader2 := c.CheckOneLeader()
	// If there's no quorum, no leader should be elected.
	c.Disconnect(leader2)
	c.Disconnect((leader2 + 1) % servers)
	p.Sleep(2 * RaftElectionTimeout)
	c.CheckNoLeader()
	// If a quorum arises, it should elect a leader.
	c.Connect((leader2 + 1) % servers)
	c.CheckOneLeader()
	// Re-join of last node shouldn't prevent leader from existing.
	c.Connect(leader2)
	c.CheckOneLeader()
	c.End()
	return nil
}
