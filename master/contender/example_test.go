package contender_test

import (
	"context"
	"fmt"

	"github.com/gomesos/gomesos/master/contender"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

func masterInfo(id string) *mesos.MasterInfo {
	return &mesos.MasterInfo{Id: proto.String(id), Ip: proto.Uint32(16777343), Port: proto.Uint32(5050),
		Pid: proto.String("master@127.0.0.1:" + id)}
}

// How a master uses a contender and the registry: contend, lead once
// elected with a store fenced by the candidacy, and on losing the
// candidacy stop leading at once and contend again as a standby. With
// ZooKeeper, the contender is contender.NewZooKeeper(--zk,
// --zk_session_timeout, log) and the store the candidacy's Registry().
func Example() {
	ctx := context.Background()
	election := contender.NewGroup() // in memory; agents detect through it too
	shared := registry.NewMemory()

	a, _ := election.Contend(ctx, masterInfo("5001"))
	b, _ := election.Contend(ctx, masterInfo("5002"))

	<-a.Elected()
	storeA := shared.Fenced(a.Held)
	_, v, _ := storeA.Fetch(ctx) // recover
	v, _ = storeA.Store(ctx, []byte("registry written by a"), v)

	election.ExpireLeader() // a's session is lost
	<-a.Lost()
	fmt.Println("a lost:", a.Err())
	if _, err := storeA.Store(ctx, []byte("late write by a"), v); err != nil {
		fmt.Println("a's write:", err)
	}

	<-b.Elected()
	storeB := shared.Fenced(b.Held)
	data, v, _ := storeB.Fetch(ctx)
	fmt.Printf("b recovers %q at version %d\n", data, v)
	fmt.Println("detectors see:", election.Leader().GetPid())
	// Output:
	// a lost: session expired
	// a's write: registry: the writer no longer holds its candidacy
	// b recovers "registry written by a" at version 0
	// detectors see: master@127.0.0.1:5002
}
