package zktest

import (
	"strings"
	"testing"
	"time"
)

func TestStandaloneServes(t *testing.T) {
	s := Start(t)
	mode, err := s.Mode()
	if err != nil || mode != "standalone" {
		t.Fatalf("Mode() = %q, %v; want standalone", mode, err)
	}
	if out, err := FourLetter(s.Addr, "ruok", time.Second); err != nil || !strings.Contains(out, "imok") {
		t.Fatalf("ruok = %q, %v", out, err)
	}
	s.Stop()
	if s.Running() {
		t.Fatal("server still running after Stop")
	}
	if _, err := s.Mode(); err == nil {
		t.Fatal("a stopped server still answers")
	}
	if err := s.Restart(30 * time.Second); err != nil {
		t.Fatalf("Restart: %v", err)
	}
}

func TestEnsembleElectsAgainAfterLosingItsLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("ensemble start takes seconds")
	}
	e := StartEnsemble(t, 3)
	leader, err := e.WaitLeader(time.Second, -1)
	if err != nil {
		t.Fatal(err)
	}
	e.Servers[leader].Stop()
	next, err := e.WaitLeader(30*time.Second, leader)
	if err != nil {
		t.Fatal(err)
	}
	if next == leader {
		t.Fatalf("leader %d reported after it was stopped", leader)
	}
}
