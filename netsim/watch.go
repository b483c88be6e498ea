package netsim

// Watching the server of a call whose handler has not responded.
//
// labrpc polls: each call waiting on a handler wakes every 100 ms to ask
// whether the server died or was cut off, and fails the call if so. Most
// handlers answer well within the first 100 ms (a Raft follower once its
// append is synced, a KV server once the command commits), so almost every
// such poll, one event per deferred call, found the call answered and did
// nothing: 18% of all events in kv/Concurrent3A.
//
// The network knows when a server dies (its crash listener) and when a link
// goes down (SetLink, Disconnect, Partition): only then can a poll find
// something. So a waiting call is listed on its server's endpoint
// (Endpoint.watched), and a crash of the server or a cut of a link into it
// schedules one check, at the time the poll that would have noticed was due:
// the first multiple of ServerDeadPoll since the wait began that is after
// the crash or cut. The check fails the call if the server is still gone or
// cut off then; like that poll, it does not notice a link that went down and
// came back up in between.

// watch starts the wait of a call whose handler has not responded: from now
// on, a crash of the server or a cut of the link fails it. It holds a
// reference while the call is listed.
func (c *call) watch() {
	if c.waiting {
		return // a held request, watched since it arrived, now dispatched
	}
	c.waiting = true
	c.waitFrom = c.net.w.Now()
	if c.served || c.answered || c.callerGone() {
		return // nothing left to fail
	}
	ep := c.to
	if len(ep.watched) >= ep.pruneAt {
		ep.prune()
	}
	c.refs++
	c.listed = true
	c.watchIdx = len(ep.watched)
	ep.watched = append(ep.watched, c)
	if c.serverGone() {
		// The handler crashed its own node or cut the link: the crash
		// listener ran before the call was listed.
		c.checkLater()
	}
}

// unwatch takes the call off its server's list. The caller must hold a
// reference of its own: this drops only the list's.
func (c *call) unwatch() {
	if !c.listed {
		return
	}
	w := c.to.watched
	last := len(w) - 1
	if c.watchIdx != last {
		w[c.watchIdx] = w[last]
		w[c.watchIdx].watchIdx = c.watchIdx
	}
	w[last] = nil
	c.to.watched = w[:last]
	c.listed = false
	c.refs--
}

// prune drops the calls no one waits for any more (the caller was told, by
// a timeout, or crashed) from the endpoint's list, so that a handler that
// never responds cannot make it grow for ever.
func (ep *Endpoint) prune() {
	keep := ep.watched[:0]
	for _, c := range ep.watched {
		if c.answered || c.callerGone() {
			c.listed = false
			c.unref()
			continue
		}
		c.watchIdx = len(keep)
		keep = append(keep, c)
	}
	clear(ep.watched[len(keep):])
	ep.watched = keep
	ep.pruneAt = max(64, 2*len(keep))
}

// checkLater schedules the check of a waiting call at the first multiple of
// ServerDeadPoll since its wait began that is after now: when labrpc's poll
// would next look.
func (c *call) checkLater() {
	if c.checking {
		return
	}
	c.checking = true
	c.refs++
	now := c.net.w.Now()
	next := c.waitFrom + ((now-c.waitFrom)/ServerDeadPoll+1)*ServerDeadPoll
	c.net.w.ScheduleAction(next-now, c.labels.poll, (*checkAction)(c))
}

// check is the poll that checkLater scheduled: it fails the call if its
// server is gone or cut off, and otherwise (the link came back) leaves it
// waiting.
func (c *call) check() {
	c.checking = false
	switch {
	case c.served:
	case c.answered || c.callerGone():
		c.unwatch()
	case c.serverGone():
		c.served = true // a late answer of the handler is not sent
		c.unwatch()
		c.failLater(0)
	}
	c.unref()
}

// serverCrashed schedules the check of every call waiting on node's
// handlers, which the crash took away.
func (n *Network) serverCrashed(ep *Endpoint) {
	w := ep.watched
	for _, c := range w {
		c.listed = false
		if !c.answered && !c.callerGone() {
			c.checkLater()
		}
		c.unref() // the list's reference
	}
	clear(w)
	ep.watched = w[:0]
}

// linksCut schedules the check of every waiting call whose link to its
// server is now down.
func (n *Network) linksCut() {
	for _, ep := range n.eps {
		if ep == nil {
			continue
		}
		for _, c := range ep.watched {
			if !c.checking && !c.answered && !c.callerGone() && !n.LinkUp(c.from.node.ID, ep.node.ID) {
				c.checkLater()
			}
		}
	}
}
