package contender

import (
	"context"
	"errors"
	"testing"

	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

func info(id string) *mesos.MasterInfo {
	return &mesos.MasterInfo{Id: proto.String(id), Ip: proto.Uint32(16777343), Port: proto.Uint32(5050),
		Pid: proto.String("master@127.0.0.1:" + map[string]string{"a": "5001", "b": "5002", "c": "5003"}[id])}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestStandaloneIsElectedAtOnce(t *testing.T) {
	c, err := Standalone{}.Contend(context.Background(), info("a"))
	if err != nil {
		t.Fatal(err)
	}
	if !closed(c.Elected()) || closed(c.Lost()) {
		t.Fatal("a standalone candidacy is not elected at once")
	}
	c.Withdraw()
	if !closed(c.Lost()) || !errors.Is(c.Err(), ErrWithdrawn) {
		t.Fatalf("withdrawn candidacy: lost=%v err=%v", closed(c.Lost()), c.Err())
	}
}

func TestGroupLowestSequenceLeadsAndDetectorsFollow(t *testing.T) {
	g := NewGroup()
	var d detector.Detector = g
	ctx := context.Background()

	if g.Leader() != nil {
		t.Fatal("empty group has a leader")
	}
	a := g.Join(info("a"))
	b := g.Join(info("b"))
	c, _ := g.Contend(ctx, info("c"))
	if !closed(a.Elected()) || closed(b.Elected()) || closed(c.Elected()) {
		t.Fatal("the first candidate is not the only one elected")
	}
	got, _ := d.Detect(ctx, nil)
	if got.GetId() != "a" {
		t.Fatalf("detected %v, want a", got)
	}

	// A follower leaving changes nothing for the leader.
	c.Withdraw()
	if got := g.Leader(); got.GetId() != "a" || !closed(c.Lost()) {
		t.Fatalf("leader %v after a follower left", got)
	}

	// The leader's session expires: it loses, b leads, detectors see b.
	if !g.ExpireLeader() {
		t.Fatal("no leader to expire")
	}
	if !closed(a.Lost()) || !errors.Is(a.Err(), ErrExpired) {
		t.Fatalf("expired leader: lost=%v err=%v", closed(a.Lost()), a.Err())
	}
	if !closed(b.Elected()) {
		t.Fatal("b not elected after a expired")
	}
	if got, _ := d.Detect(ctx, got); got.GetId() != "b" {
		t.Fatalf("detected %v, want b", got)
	}

	// a contends again, as a standby behind b.
	a2 := g.Join(info("a"))
	if closed(a2.Elected()) {
		t.Fatal("a re-contending jumped ahead of b")
	}
	b.Withdraw()
	if !closed(a2.Elected()) || g.Leader().GetId() != "a" {
		t.Fatal("a's new candidacy not elected after b left")
	}
	a2.Withdraw()
	if g.ExpireLeader() || g.Leader() != nil {
		t.Fatal("a leader in an empty group")
	}
	if got, _ := d.Detect(ctx, info("a")); got != nil {
		t.Fatalf("detected %v in an empty group", got)
	}
}

func TestGroupFenceFollowsTheCandidacy(t *testing.T) {
	g := NewGroup()
	a := g.Join(info("a"))
	fence := a.Fence()
	if !fence() {
		t.Fatal("fence of a held candidacy is down")
	}
	a.Expire()
	if fence() {
		t.Fatal("fence still up after the session expired")
	}
	a.Withdraw() // after loss: no effect, no panic
	if !errors.Is(a.Err(), ErrExpired) {
		t.Fatalf("err = %v, want the first reason", a.Err())
	}
}

func TestContendHonoursItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewGroup().Contend(ctx, info("a")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Contend with a cancelled context = %v", err)
	}
	if _, err := (Standalone{}).Contend(ctx, info("a")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Contend with a cancelled context = %v", err)
	}
}
