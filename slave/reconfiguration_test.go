package slave

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/checkpoint"
)

func slaveInfo(res, attrs string) *mesos.SlaveInfo {
	a, err := ParseAttributes(attrs)
	if err != nil {
		panic(err)
	}
	return &mesos.SlaveInfo{
		Hostname: proto.String("agent.test"), Port: proto.Int32(5051),
		Resources: resources.MustParse(res), Attributes: a,
	}
}

func TestCheckReconfiguration(t *testing.T) {
	was := slaveInfo("cpus:2;mem:1024;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]")
	for _, c := range []struct {
		name, policy string
		now          *mesos.SlaveInfo
		err          string // "" = accepted
	}{
		{"same", "equal", slaveInfo("cpus:2;mem:1024;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]"), ""},
		{"same, attributes reordered", "equal", slaveInfo("mem:1024;cpus:2;ports:[31000-31100]", "u:2;slots:[1-4];rack:r1"), ""},
		{"more cpus", "equal", slaveInfo("cpus:4;mem:1024;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]"), "resources changed from"},
		{"more cpus", "additive", slaveInfo("cpus:4;mem:1024;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]"), ""},
		{"new resource and attribute", "additive", slaveInfo("cpus:2;mem:1024;disk:10;ports:[31000-31200]", "rack:r1;u:2;slots:[1-8];new:x"), ""},
		{"less mem", "additive", slaveInfo("cpus:2;mem:512;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]"), "resource mem shrank"},
		{"ports moved", "additive", slaveInfo("cpus:2;mem:1024;ports:[32000-32100]", "rack:r1;u:2;slots:[1-4]"), "resource ports"},
		{"resource removed", "additive", slaveInfo("cpus:2;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]"), "resource mem not found"},
		{"attribute removed", "additive", slaveInfo("cpus:2;mem:1024;ports:[31000-31100]", "rack:r1;u:2"), "attribute slots:[1-4] not found"},
		{"text attribute changed", "additive", slaveInfo("cpus:2;mem:1024;ports:[31000-31100]", "rack:r2;u:2;slots:[1-4]"), "value of attribute rack changed from rack:r1 to rack:r2"},
		{"attribute type changed", "additive", slaveInfo("cpus:2;mem:1024;ports:[31000-31100]", "rack:r1;u:two;slots:[1-4]"), "type of attribute u changed"},
		{"port changed", "additive", func() *mesos.SlaveInfo {
			i := slaveInfo("cpus:2;mem:1024;ports:[31000-31100]", "rack:r1;u:2;slots:[1-4]")
			i.Port = proto.Int32(5052)
			return i
		}(), "port changed from 5051 to 5052"},
		{"bad policy", "bigger", was, `--reconfiguration_policy="bigger"`},
	} {
		t.Run(c.policy+"/"+c.name, func(t *testing.T) {
			err := CheckReconfiguration(c.policy, was, c.now)
			if c.err == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("error %v, want one saying %q", err, c.err)
			}
		})
	}
}

// The agent refuses to start on a checkpoint its configuration is not
// compatible with, unless the host rebooted since.
func TestCheckRecoveredInfo(t *testing.T) {
	st := &checkpoint.State{BootID: "boot-1", Slave: &checkpoint.SlaveState{ID: "S1", Info: slaveInfo("cpus:2;mem:1024", "")}}
	now := slaveInfo("cpus:4;mem:1024", "")
	err := checkRecoveredInfo(ReconfigureEqual, st, now, "boot-1", "/var/agent", false)
	if err == nil || !strings.Contains(err.Error(), "resources changed from cpus:2; mem:1024 to cpus:4; mem:1024") ||
		!strings.Contains(err.Error(), "/var/agent/meta/slaves/latest") {
		t.Fatalf("err = %v", err)
	}
	if err := checkRecoveredInfo(ReconfigureAdditive, st, now, "boot-1", "/var/agent", false); err != nil {
		t.Fatalf("additive: %v", err)
	}
	if err := checkRecoveredInfo(ReconfigureEqual, st, now, "boot-2", "/var/agent", false); err != nil {
		t.Fatalf("after a reboot: %v", err)
	}
	// --port=0: another port is no reconfiguration.
	moved := slaveInfo("cpus:2;mem:1024", "")
	moved.Port = proto.Int32(40000)
	if err := checkRecoveredInfo(ReconfigureEqual, st, moved, "boot-1", "/var/agent", true); err != nil {
		t.Fatalf("picked port: %v", err)
	}
	if err := checkRecoveredInfo(ReconfigureEqual, st, moved, "boot-1", "/var/agent", false); err == nil || !strings.Contains(err.Error(), "port changed from 5051 to 40000") {
		t.Fatalf("fixed port moved: %v", err)
	}
	if err := checkRecoveredInfo(ReconfigureEqual, &checkpoint.State{}, now, "boot-1", "/var/agent", false); err != nil {
		t.Fatalf("nothing checkpointed: %v", err)
	}
}

// --executor_reregistration_retry_interval: the reconnect is resent to an
// executor that has not come back, not to one that has, and a second
// reregistration of an executor already back is ignored.
func TestCoreResendsReconnectWhileExecutorIsAway(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := newCoreRunWith(t, func(c *Config) { c.ExecutorReregistrationRetryInterval = 500 * time.Millisecond })
	r.c.deps.BootID = "boot-1"
	r.c.Recover(r.now, d.state())
	r.expect("containers recovered", r.c.ContainersRecovered(r.now, nil),
		"wait container c1",
		send(&mesosinternal.ReconnectExecutorMessage{}, coreExec),
		"start timer executor-reregistration after 2s",
		"start timer executor-reconnect after 500ms")
	r.expect("retry", r.c.Timer(r.now, ExecutorReconnectTimer),
		send(&mesosinternal.ReconnectExecutorMessage{}, coreExec),
		"start timer executor-reconnect after 500ms")
	rereg := &mesosinternal.ReregisterExecutorMessage{FrameworkId: frameworkInfo.Id, ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}}
	effs := r.c.Receive(r.now, coreExec, rereg)
	sentMsg[*mesosinternal.ExecutorReregisteredMessage](t, effs)
	r.expect("nobody left to ask", r.c.Timer(r.now, ExecutorReconnectTimer))
	r.expect("second answer", r.c.Receive(r.now, coreExec, rereg))
	r.expect("wait over", d.apply(r.c.Timer(r.now, ExecutorReregistrationTimer)),
		"cancel timer executor-reconnect", "redetect")
}

// Under the additive policy a grown agent keeps its id, reregisters with
// its new resources and rewrites slave.info once reregistered.
func TestCoreRecoveredGrownAgentRewritesSlaveInfo(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := newCoreRunWith(t, func(c *Config) { c.ReconfigurationPolicy = ReconfigureAdditive })
	r.c.info.Resources = resources.MustParse("cpus:4;mem:1024")
	r.c.deps.BootID = "boot-1"
	r.c.Recover(r.now, d.state())
	r.c.ContainersRecovered(r.now, nil)
	d.apply(r.c.Timer(r.now, ExecutorReregistrationTimer))
	r.c.Detected(r.now, masterInfo())
	m := sentMsg[*mesosinternal.ReregisterSlaveMessage](t, r.c.Timer(r.now, "register"))
	if got := resources.Resources(m.GetSlave().GetResources()).Scalar("cpus"); got != 4 || m.GetSlave().GetId().GetValue() != coreAgentID {
		t.Fatalf("reregistered as %v", m.GetSlave())
	}
	d.apply(r.c.Receive(r.now, coreMaster, &mesosinternal.SlaveReregisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}}))
	if got := resources.Resources(d.state().Slave.Info.GetResources()).Scalar("cpus"); got != 4 {
		t.Fatalf("slave.info has cpus %v after reregistration", got)
	}
}
