package sim

// FreeList holds things that nothing refers to any more, for their owner to
// use again instead of allocating: records a component makes per message or
// event and knows the last use of (netsim's call records, a process's resume
// events), or buffers handed back (a Raft host's snapshot arrays). Last in,
// first out, so what is handed out is what is most likely still in the cache.
// The zero FreeList is empty and ready; it is not safe for concurrent use,
// like everything else a world owns.
type FreeList[E any] struct {
	items []E
}

// Put adds v, which its owner will not use again until Get hands it back.
func (f *FreeList[E]) Put(v E) { f.items = append(f.items, v) }

// Get removes what was put last and returns it, or the zero E (nil, for a
// pointer or a slice) when the list is empty. Its slot is cleared, so that
// the list does not keep it alive once it is out.
func (f *FreeList[E]) Get() E {
	var zero E
	k := len(f.items)
	if k == 0 {
		return zero
	}
	v := f.items[k-1]
	f.items[k-1] = zero
	f.items = f.items[:k-1]
	return v
}

// Len is how many things the list holds.
func (f *FreeList[E]) Len() int { return len(f.items) }
