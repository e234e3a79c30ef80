package slave

import (
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// The terminal update's acknowledgement ends the task's retries; a repeat of
// it, or a late acknowledgement of an earlier update, does nothing.
func TestLastAckEndsRetriesOnce(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.runningTask()
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001"))
	r.expect("terminal ack", r.c.Receive(r.now, coreMaster, ackFor("uuid-finish-0001")), "cancel timer update/fw-1/t1")
	r.expect("repeated terminal ack", r.c.Receive(r.now, coreMaster, ackFor("uuid-finish-0001")))
	r.expect("stale ack", r.c.Receive(r.now, coreMaster, ackFor("uuid-running-01")))
}

// Acknowledging RUNNING while FINISHED waits behind it moves the stream on
// and keeps retrying: FINISHED is resent when the timer fires.
func TestAckOfEarlierUpdateKeepsRetrying(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.runningUnacknowledged()
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001"))
	r.expect("ack out of order", r.c.Receive(r.now, coreMaster, ackFor("uuid-finish-0001")))
	for _, s := range render(r.c.Receive(r.now, coreMaster, ackFor("uuid-running-01"))) {
		if s == "cancel timer update/fw-1/t1" {
			t.Fatal("acknowledging RUNNING cancelled the retry of the pending FINISHED")
		}
	}
	r.expect("retry", r.c.Timer(r.now, "update/fw-1/t1"),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster), "start timer update/fw-1/t1 after 20s")
}
