// Package callbacks runs a driver's user callbacks one at a time, in order,
// on a goroutine of their own, so that neither the driver's actor nor its
// public methods ever wait for user code (and a callback may call back into
// the driver without deadlocking). Both schedulerdriver and executordriver
// use it.
package callbacks

import "sync"

// Item is one queued callback.
type Item struct {
	Run func()
	// Always runs it even once the driver no longer runs (e.g. Error).
	Always bool
}

// Queue is an unbounded FIFO of callbacks drained by one goroutine.
type Queue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []Item
	closed  bool
	started bool
	done    chan struct{}
	running func() bool // whether non-Always items may still run
}

// New returns a queue; running says whether ordinary items still run.
func New(running func() bool) *Queue {
	q := &Queue{done: make(chan struct{}), running: running}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Start launches the worker goroutine (once).
func (q *Queue) Start() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.closed {
		return
	}
	q.started = true
	go q.loop()
}

// Push queues c without blocking; it reports false once the queue is closed.
func (q *Queue) Push(c Item) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, c)
	q.cond.Signal()
	return true
}

// Close lets the worker exit once the queue is empty.
func (q *Queue) Close() {
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

// Done is closed when the worker has run everything and exited.
func (q *Queue) Done() <-chan struct{} { return q.done }

func (q *Queue) loop() {
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
		q.items[0] = Item{}
		q.items = q.items[1:]
		q.mu.Unlock()
		if c.Always || q.running() {
			c.Run()
		}
	}
}
