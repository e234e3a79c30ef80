package detector

import (
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
)

// RegisterTimer is the key of a Follower's retry timer.
const RegisterTimer = "register"

// Follower is the follow-the-leader-and-register loop of the agent and the
// scheduler driver, as pure state: it remembers the detected leader, and
// while not registered with it asks, through a timer keyed RegisterTimer,
// for one (re)registration attempt after another with Backoff between
// them. The caller feeds it detections, timer fires and the master's
// answer, passes draws from its own random source, and sends the
// registration message itself when Fire says so.
type Follower struct {
	Backoff protocol.Backoff
	// Immediate makes the first attempt at once after a detection (the
	// scheduler driver); otherwise it waits a drawn part of
	// Backoff.Initial (the agent).
	Immediate bool

	info       *mesos.MasterInfo
	leader     actors.PID
	attempt    int
	registered bool
}

// Leader is the detected leader's PID (zero while there is none).
func (f *Follower) Leader() actors.PID { return f.leader }

// Info is the detected leader's MasterInfo (nil while there is none).
func (f *Follower) Info() *mesos.MasterInfo { return f.info }

// Registered reports whether the leader has acknowledged a registration.
func (f *Follower) Registered() bool { return f.registered }

// Detected records a new leader, or none (info nil), and starts
// registering with it; it reports an error for a MasterInfo whose pid is
// unusable (the leader is then none). r is a draw in [0, 1).
func (f *Follower) Detected(info *mesos.MasterInfo, r float64, out *effect.Outbox) error {
	out.CancelTimer(RegisterTimer)
	f.info, f.leader, f.attempt, f.registered = nil, actors.PID{}, 0, false
	if info == nil {
		return nil
	}
	pid, err := LeaderPID(info)
	if err != nil {
		return err
	}
	f.info, f.leader = info, pid
	delay := time.Duration(0)
	if !f.Immediate {
		delay = f.Backoff.Delay(0, r)
	}
	out.StartTimer(RegisterTimer, delay)
	return nil
}

// Fire handles the retry timer: it reports whether the caller should send
// its registration to Leader() now, and arms the next retry.
func (f *Follower) Fire(r float64, out *effect.Outbox) bool {
	if f.registered || f.leader.IsZero() {
		return false
	}
	f.attempt++
	out.StartTimer(RegisterTimer, f.Backoff.Delay(f.attempt, r))
	return true
}

// Acknowledged records the leader's (re)registration answer and stops
// retrying.
func (f *Follower) Acknowledged(out *effect.Outbox) {
	f.registered = true
	out.CancelTimer(RegisterTimer)
}

// Disconnected forgets the registration (the leader stays) and retries
// from the first backoff step, as after a new detection.
func (f *Follower) Disconnected(r float64, out *effect.Outbox) {
	info := f.info
	_ = f.Detected(info, r, out)
}
