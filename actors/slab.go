package actors

import "sync/atomic"

// slab hands out values of T from arrays of slabLen, one allocation per
// slabLen values instead of one per value. Values are never handed out
// twice: the garbage collector frees an array once none of its values is
// referenced. Safe for concurrent use.
//
// The per-message wrappers whose lifetime this package cannot see (an
// outMsg lives until protoactor's endpoint writer has encoded it, a
// received localMsg until the mailbox or the dead letters take it) come
// from slabs.
type slab[T any] struct{ cur atomic.Pointer[slabArray[T]] }

type slabArray[T any] struct {
	next atomic.Int32
	vals [slabLen]T
}

const slabLen = 64

func (s *slab[T]) get() *T {
	for {
		a := s.cur.Load()
		if a != nil {
			if i := a.next.Add(1) - 1; i < slabLen {
				return &a.vals[i]
			}
		}
		na := new(slabArray[T])
		na.next.Store(1)
		if s.cur.CompareAndSwap(a, na) {
			return &na.vals[0]
		}
	}
}
