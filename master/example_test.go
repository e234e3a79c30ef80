package master_test

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// A core driven by hand: a framework and an agent register (the agent
// once its admission is stored in the registry), an allocation becomes an
// offer, and the offer times out. Allocator calls go to a synchronous
// allocator; every other effect is printed.
func ExampleCore() {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := master.DefaultConfig()
	cfg.Hostname, cfg.IP, cfg.OfferTimeout = "localhost", "127.0.0.1", time.Minute
	self := actors.PID{ID: master.ProcessID, Address: "127.0.0.1:5050"}
	core, err := master.NewCore(cfg, master.NewMasterInfo("m1", self, cfg), master.Deps{})
	if err != nil {
		panic(err)
	}
	alloc := allocator.Sync{Core: allocator.NewCore(allocator.Options{AllocationInterval: time.Second}), Now: func() time.Time { return now }}
	apply := func(effects []effect.Effect) {
		for _, e := range effects {
			fmt.Println(" ", e)
			master.ApplyAllocatorCall(alloc, e)
		}
	}
	sched := actors.PID{ID: "scheduler", Address: "127.0.0.1:40000"}
	agent := actors.PID{ID: "slave(1)", Address: "127.0.0.1:50000"}

	fmt.Println("start")
	apply(core.Start(now))
	fmt.Println("framework registers")
	apply(core.Receive(now, sched, &mesosinternal.RegisterFrameworkMessage{
		Framework: &mesos.FrameworkInfo{User: proto.String("me"), Name: proto.String("demo")},
	}))
	fmt.Println("agent registers")
	apply(core.Receive(now, agent, &mesosinternal.RegisterSlaveMessage{
		Slave:   &mesos.SlaveInfo{Hostname: proto.String("localhost"), Resources: resources.MustParse("cpus:2;mem:1024")},
		Version: proto.String(master.Version),
	}))
	fmt.Println("registry stored op 1")
	apply(core.RegistryApplied(now, 1, nil))
	fmt.Println("allocation")
	for fid, offers := range alloc.Core.Allocate(now, nil) {
		apply(core.Offer(now, fid, offers))
	}
	fmt.Println("offer timeout")
	apply(core.Timer(now.Add(time.Minute), "offer/m1-O0"))

	// Output:
	// start
	//   start timer registry/gc after 15m0s
	// framework registers
	//   link scheduler@127.0.0.1:40000
	//   allocator: add framework m1-0000 (roles [*], active true, suppressed [], used {})
	//   send mesos.internal.FrameworkRegisteredMessage to scheduler@127.0.0.1:40000
	// agent registers
	//   registry: apply 1: admit agent m1-S0
	// registry stored op 1
	//   link slave(1)@127.0.0.1:50000
	//   start timer ping/m1-S0 after 15s
	//   send mesos.internal.PingSlaveMessage to slave(1)@127.0.0.1:50000
	//   allocator: add agent m1-S0 with cpus:2; mem:1024 (used {})
	//   send mesos.internal.SlaveRegisteredMessage to slave(1)@127.0.0.1:50000
	// allocation
	//   start timer offer/m1-O0 after 1m0s
	//   send mesos.internal.ResourceOffersMessage to scheduler@127.0.0.1:40000
	// offer timeout
	//   cancel timer offer/m1-O0
	//   send mesos.internal.RescindResourceOfferMessage to scheduler@127.0.0.1:40000
	//   allocator: recover cpus(allocated: *):2; mem(allocated: *):1024 of framework m1-0000 on agent m1-S0
}
