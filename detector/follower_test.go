package detector

import (
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
)

func TestFollowerRetriesWithBackoffUntilAcknowledged(t *testing.T) {
	var out effect.Outbox
	f := Follower{Backoff: protocol.Backoff{Initial: time.Second, Max: 4 * time.Second}}
	info := &mesos.MasterInfo{Id: new(string), Ip: new(uint32), Port: new(uint32), Pid: ptr("master@127.0.0.1:5050")}
	if err := f.Detected(info, 0.5, &out); err != nil {
		t.Fatal(err)
	}
	want := []effect.Effect{effect.CancelTimer{Key: RegisterTimer}, effect.StartTimer{Key: RegisterTimer, After: 500 * time.Millisecond}}
	if got := out.Take(); !same(got, want) {
		t.Fatalf("Detected: %v, want %v", got, want)
	}
	if f.Leader().String() != "master@127.0.0.1:5050" {
		t.Fatalf("leader %v", f.Leader())
	}
	var delays []time.Duration
	for i := 0; i < 4; i++ {
		if !f.Fire(1.0, &out) {
			t.Fatalf("attempt %d: Fire said not to register", i)
		}
		delays = append(delays, out.Take()[0].(effect.StartTimer).After)
	}
	if want := []time.Duration{2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}; !same(toEffects(delays), toEffects(want)) {
		t.Fatalf("retry delays %v, want %v", delays, want)
	}
	f.Acknowledged(&out)
	if got := out.Take(); !same(got, []effect.Effect{effect.CancelTimer{Key: RegisterTimer}}) {
		t.Fatalf("Acknowledged: %v", got)
	}
	if f.Fire(0.5, &out) {
		t.Fatal("a registered follower asked to register again")
	}
	f.Disconnected(0, &out)
	if f.Registered() || f.Leader().IsZero() {
		t.Fatal("Disconnected must keep the leader and forget the registration")
	}
}

func TestFollowerImmediateAndNoLeader(t *testing.T) {
	var out effect.Outbox
	f := Follower{Immediate: true, Backoff: protocol.Backoff{Initial: 2 * time.Second}}
	if err := f.Detected(&mesos.MasterInfo{Pid: ptr("master@127.0.0.1:1")}, 0.9, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.Take(); got[1] != (effect.StartTimer{Key: RegisterTimer, After: 0}) {
		t.Fatalf("immediate first attempt: %v", got)
	}
	if err := f.Detected(&mesos.MasterInfo{Pid: ptr("no pid")}, 0, &out); err == nil {
		t.Fatal("an unusable pid was accepted")
	}
	if !f.Leader().IsZero() || f.Fire(0, &out) {
		t.Fatal("with no usable leader there is nothing to register with")
	}
	_ = f.Detected(nil, 0, &out)
	if f.Info() != nil {
		t.Fatal("lost leader still known")
	}
}

func ptr(s string) *string { return &s }

func toEffects(d []time.Duration) []effect.Effect {
	out := make([]effect.Effect, len(d))
	for i, x := range d {
		out[i] = x
	}
	return out
}

func same(a, b []effect.Effect) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
