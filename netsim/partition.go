package netsim

// Links are directed: a one-way partition blocks calls from one node to
// another (and so their replies) while calls the other way still work, which
// is labrpc's per-ClientEnd enable/disable.

// SetLink enables or disables the directed link from -> to.
func (n *Network) SetLink(from, to int, up bool) {
	n.grow(max(from, to) + 1)
	n.links[from][to].down = !up
}

// LinkUp reports whether calls from -> to can be delivered.
func (n *Network) LinkUp(from, to int) bool {
	if from < 0 || to < 0 || from >= len(n.links) || to >= len(n.links) {
		return true
	}
	return !n.links[from][to].down
}

// Disconnect cuts every link into and out of node id (6.824's disconnect(i)).
func (n *Network) Disconnect(id int) {
	n.grow(id + 1)
	for j := range n.links {
		if j != id {
			n.links[id][j].down = true
			n.links[j][id].down = true
		}
	}
	n.w.Logf(nil, "net disconnect %d", id)
}

// Connect restores every link into and out of node id, except links to nodes
// that are themselves disconnected: 6.824's connect(i) only joins i with the
// connected ones. connected says which those are; nil means all.
func (n *Network) Connect(id int, connected func(int) bool) {
	n.grow(id + 1)
	for j := range n.links {
		if j == id || (connected != nil && !connected(j)) {
			continue
		}
		n.links[id][j].down = false
		n.links[j][id].down = false
	}
	n.w.Logf(nil, "net connect %d", id)
}

// Partition splits the nodes into groups: links inside a group are up,
// links across groups are down. Nodes in no group are cut off from all.
func (n *Network) Partition(groups ...[]int) {
	side := map[int]int{}
	for g, members := range groups {
		for _, id := range members {
			side[id] = g + 1
			n.grow(id + 1)
		}
	}
	for i := range n.links {
		for j := range n.links[i] {
			si, sj := side[i], side[j]
			n.links[i][j].down = i != j && (si == 0 || sj == 0 || si != sj)
		}
	}
	n.w.Logf(nil, "net partition %v", groups)
}

// Heal brings every link up.
func (n *Network) Heal() {
	for i := range n.links {
		for j := range n.links[i] {
			n.links[i][j].down = false
		}
	}
	n.w.Logf(nil, "net heal")
}
