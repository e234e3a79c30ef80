package executordriver

import "sync"

// callback is one queued Executor call.
type callback struct {
	run func()
	// always: run even if the driver is no longer running (Error).
	always bool
}

// callbackQueue runs callbacks one at a time, in order, on a goroutine of
// its own. push never blocks, so the actor (and driver methods) never wait
// for a callback.
type callbackQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []callback
	closed  bool
	started bool
	done    chan struct{}
	// running reports whether non-"always" callbacks may still run.
	running func() bool
}

func newCallbackQueue(running func() bool) *callbackQueue {
	q := &callbackQueue{done: make(chan struct{}), running: running}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// start launches the worker goroutine (once).
func (q *callbackQueue) start() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.closed {
		return
	}
	q.started = true
	go q.loop()
}

// push queues c; it reports false if the queue is closed.
func (q *callbackQueue) push(c callback) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, c)
	q.cond.Signal()
	return true
}

// close lets the worker exit once the queue is empty.
func (q *callbackQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		q.cond.Signal()
		if !q.started {
			close(q.done)
		}
	}
}

func (q *callbackQueue) loop() {
	defer close(q.done)
	for {
		q.mu.Lock()
		for len(q.items) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.items) == 0 {
			q.mu.Unlock()
			return
		}
		c := q.items[0]
		q.items[0] = callback{}
		q.items = q.items[1:]
		q.mu.Unlock()
		if c.always || q.running() {
			c.run()
		}
	}
}
