package statusupdate

import "hash/maphash"

// streamIndex holds the streams by id. An agent has few streams at a time,
// and a small map costs several times the memory of a short list for
// each: the index is a list (searched by a hash of the task id) up to
// smallIndex streams, and a map beyond, until it empties. Its order is
// not the streams': callers sort (Manager.ids).
type streamIndex struct {
	hashes []uint32 // hashes[i] is idHash(list[i].id)
	list   []indexed
	big    map[StreamID]*stream // set, and list empty, once it outgrew the list
}

type indexed struct {
	id StreamID
	s  *stream
}

const smallIndex = 32

var idSeed = maphash.MakeSeed()

func idHash(id StreamID) uint32 { return uint32(maphash.String(idSeed, id.TaskID)) }

// find is the position of id in the list, or -1.
func (x *streamIndex) find(id StreamID) int {
	h := idHash(id)
	for i, hh := range x.hashes {
		if hh == h && x.list[i].id == id {
			return i
		}
	}
	return -1
}

func (x *streamIndex) get(id StreamID) *stream {
	if x.big != nil {
		return x.big[id]
	}
	if i := x.find(id); i >= 0 {
		return x.list[i].s
	}
	return nil
}

// add puts a stream the index does not hold.
func (x *streamIndex) add(id StreamID, s *stream) {
	if x.big != nil {
		x.big[id] = s
		return
	}
	if len(x.list) == smallIndex {
		x.big = make(map[StreamID]*stream, 2*smallIndex)
		for _, e := range x.list {
			x.big[e.id] = e.s
		}
		x.big[id] = s
		x.hashes, x.list = nil, nil
		return
	}
	x.hashes = append(x.hashes, idHash(id))
	x.list = append(x.list, indexed{id: id, s: s})
}

// set puts s as id's stream, held or not.
func (x *streamIndex) set(id StreamID, s *stream) {
	if x.big == nil {
		if i := x.find(id); i >= 0 {
			x.list[i].s = s
			return
		}
	}
	x.add(id, s)
}

func (x *streamIndex) del(id StreamID) {
	if x.big != nil {
		delete(x.big, id)
		if len(x.big) == 0 {
			x.big = nil
		}
		return
	}
	if i := x.find(id); i >= 0 {
		x.removeAt(i)
	}
}

// removeAt takes the list's entry i out: the last one takes its place.
func (x *streamIndex) removeAt(i int) {
	last := len(x.list) - 1
	x.hashes[i], x.list[i] = x.hashes[last], x.list[last]
	x.list[last] = indexed{}
	x.hashes, x.list = x.hashes[:last], x.list[:last]
}

func (x *streamIndex) len() int {
	if x.big != nil {
		return len(x.big)
	}
	return len(x.list)
}

// each calls f for every stream, in no particular order; f must not
// change the index.
func (x *streamIndex) each(f func(StreamID, *stream)) {
	if x.big != nil {
		for id, s := range x.big {
			f(id, s)
		}
		return
	}
	for _, e := range x.list {
		f(e.id, e.s)
	}
}

// delIf deletes the streams whose id drop accepts.
func (x *streamIndex) delIf(drop func(StreamID) bool) {
	if x.big != nil {
		for id := range x.big {
			if drop(id) {
				delete(x.big, id)
			}
		}
		if len(x.big) == 0 {
			x.big = nil
		}
		return
	}
	for i := 0; i < len(x.list); {
		if drop(x.list[i].id) {
			x.removeAt(i)
		} else {
			i++
		}
	}
}
