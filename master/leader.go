package master

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Leadership is the pure core of a master's supervisor: it contends for
// leadership, leads while elected, and steps down and contends again when
// the candidacy is lost or the leading master fails (a registry write that
// failed, a panic). Each candidacy is a term, numbered from 1; events of
// an older term are stale and change nothing. Like the other cores it
// takes one event at a time with the current time and returns effects:
// Contend, Lead, StepDown and Withdraw (below) and effect's timers. It is
// not safe for concurrent use.
//
// The order of a step-down is the safety rule: StepDown (stop the master
// actor, then the rest) always comes before Withdraw, so a master never
// acts after its candidacy is given up.
type Leadership struct {
	out   effect.Outbox
	state LeadershipState
	term  int
	// retry is the pause before contending again after Contend failed.
	retry time.Duration

	electedAt time.Time
	leader    *mesos.MasterInfo // as detected (nil: none known)
}

// LeadershipState is where a supervised master stands.
type LeadershipState int

// The states of a supervised master.
const (
	// Contending: a candidacy is being made (or retried after a failure).
	Contending LeadershipState = iota
	// Standby: the candidacy holds but another master leads (or none yet).
	Standby
	// Leading: elected; the master runs.
	Leading
	// Stopped: the supervisor is shutting down.
	Stopped
)

func (s LeadershipState) String() string {
	switch s {
	case Contending:
		return "contending"
	case Standby:
		return "standby"
	case Leading:
		return "leading"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// Effects of Leadership (besides effect.StartTimer and CancelTimer).
type (
	// Contend: make candidacy Term (a fresh MasterInfo id), off the
	// actor's mailbox; report with Contended.
	Contend struct{ Term int }
	// Lead: start the master of candidacy Term; report a failure to start
	// with Failed.
	Lead struct{ Term int }
	// StepDown: stop the master of Term at once, the master actor first.
	StepDown struct {
		Term   int
		Reason error
	}
	// Withdraw: give up candidacy Term (after any StepDown of it).
	Withdraw struct{ Term int }
)

// ContendRetryTimer is the timer key of the pause before contending again.
const ContendRetryTimer = "contend/retry"

// DefaultContendRetry is the pause before contending again after a
// candidacy could not be made (ZooKeeper unreachable).
const DefaultContendRetry = time.Second

// NewLeadership returns the core; retry <= 0 means DefaultContendRetry.
func NewLeadership(retry time.Duration) *Leadership {
	if retry <= 0 {
		retry = DefaultContendRetry
	}
	return &Leadership{retry: retry}
}

// State is where the master stands.
func (l *Leadership) State() LeadershipState { return l.state }

// Term is the current candidacy's number (0 before Start).
func (l *Leadership) Term() int { return l.term }

// ElectedAt is when the current term was elected (zero unless Leading).
func (l *Leadership) ElectedAt() time.Time {
	if l.state != Leading {
		return time.Time{}
	}
	return l.electedAt
}

// Leader is the leading master as last detected (nil: none known).
func (l *Leadership) Leader() *mesos.MasterInfo { return l.leader }

// Start makes the first candidacy.
func (l *Leadership) Start(now time.Time) []effect.Effect {
	if l.term == 0 && l.state == Contending {
		l.contend()
	}
	return l.out.Take()
}

// Contended reports how Contend of term went.
func (l *Leadership) Contended(now time.Time, term int, err error) []effect.Effect {
	switch {
	case term != l.term || l.state != Contending:
		if err == nil {
			l.out.Add(Withdraw{Term: term}) // stale: nobody wants it
		}
	case err != nil:
		l.out.StartTimer(ContendRetryTimer, l.retry)
	default:
		l.state = Standby
	}
	return l.out.Take()
}

// Elected reports that candidacy term leads.
func (l *Leadership) Elected(now time.Time, term int) []effect.Effect {
	if term == l.term && l.state == Standby {
		l.state = Leading
		l.electedAt = now
		l.out.Add(Lead{Term: term})
	}
	return l.out.Take()
}

// Lost reports that candidacy term is gone (session expired or
// disconnected too long, znode deleted): step down if leading, contend
// again.
func (l *Leadership) Lost(now time.Time, term int, why error) []effect.Effect {
	if term == l.term && (l.state == Standby || l.state == Leading) {
		l.restart(why)
	}
	return l.out.Take()
}

// Failed reports that the master of term cannot go on leading (a registry
// write failed, it panicked, it could not start): it steps down, gives up
// its candidacy so that another master can lead, and contends again.
func (l *Leadership) Failed(now time.Time, term int, why error) []effect.Effect {
	if term == l.term && l.state == Leading {
		l.restart(why)
	}
	return l.out.Take()
}

// Detected records the leader a detector reports (nil: none).
func (l *Leadership) Detected(now time.Time, leader *mesos.MasterInfo) []effect.Effect {
	if leader == nil {
		l.leader = nil
	} else {
		l.leader = proto.Clone(leader).(*mesos.MasterInfo)
	}
	return l.out.Take()
}

// Timer handles a fired timer.
func (l *Leadership) Timer(now time.Time, key string) []effect.Effect {
	if key == ContendRetryTimer && l.state == Contending {
		l.contend()
	}
	return l.out.Take()
}

// Stop steps down and withdraws for good.
func (l *Leadership) Stop(now time.Time, why error) []effect.Effect {
	switch l.state {
	case Leading:
		l.out.Add(StepDown{Term: l.term, Reason: why})
		l.out.Add(Withdraw{Term: l.term})
	case Standby:
		l.out.Add(Withdraw{Term: l.term})
	case Contending:
		l.out.CancelTimer(ContendRetryTimer)
	}
	l.state = Stopped
	return l.out.Take()
}

// restart ends the current term and begins the next.
func (l *Leadership) restart(why error) {
	if l.state == Leading {
		l.out.Add(StepDown{Term: l.term, Reason: why})
	}
	l.out.Add(Withdraw{Term: l.term})
	l.electedAt = time.Time{}
	l.contend()
}

func (l *Leadership) contend() {
	l.term++
	l.state = Contending
	l.out.Add(Contend{Term: l.term})
}
