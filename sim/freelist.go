package sim

// FreeList holds records that nothing refers to any more, for their owner to
// use again instead of allocating: a component that makes a record per
// message or event and knows when the last use of one ends (netsim's call
// records, a process's resume events). Last in, first out, so the record
// handed out is the one most likely still in the cache. The zero FreeList is
// empty and ready; it is not safe for concurrent use, like everything else a
// world owns.
type FreeList[T any] struct {
	items []*T
}

// Put adds v, which its owner will not use again until Get hands it back.
func (f *FreeList[T]) Put(v *T) { f.items = append(f.items, v) }

// Get removes the record put last and returns it, or nil when the list is
// empty. Its slot is cleared, so that the list does not keep a record alive
// once it is out.
func (f *FreeList[T]) Get() *T {
	k := len(f.items)
	if k == 0 {
		return nil
	}
	v := f.items[k-1]
	f.items[k-1] = nil
	f.items = f.items[:k-1]
	return v
}
