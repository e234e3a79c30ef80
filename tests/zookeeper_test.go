package tests

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/master/contender"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/tests/harness"
	"google.golang.org/protobuf/encoding/protojson"
)

// Agents and mesos-execute find the master through zk://: here the test
// contends on the master's behalf with the MasterInfo it serves.
func TestZooKeeperAddressForAgentsAndMesosExecute(t *testing.T) {
	zk := zktest.Start(t)
	m := harness.StartProc(t, "mesos-master", "--ip=127.0.0.1", "--port=0")
	addr := m.WaitOutput(t, harness.HTTPAddr, 30*time.Second)

	resp, err := http.Get("http://" + addr + "/master/info")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	info := &mesos.MasterInfo{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, info); err != nil {
		t.Fatalf("/master/info %s: %v", body, err)
	}
	zkURL := "zk://" + zk.Addr + "/mesos"
	z, err := contender.NewZooKeeper(zkURL, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := z.Contend(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Withdraw)

	work := harness.TempDir(t)
	harness.StartProc(t, "mesos-agent", "--master="+zkURL, "--ip=127.0.0.1", "--port=0",
		"--work_dir="+work+"/agent", "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]")
	harness.Eventually(t, 30*time.Second, func() bool {
		st, err := harness.GetJSON("http://" + addr + "/master/state")
		return err == nil && st["activated_slaves"] == float64(1)
	}, "the agent registered through zk://")

	exec := harness.StartProc(t, "mesos-execute", "--master="+zkURL, "--name=hello", "--command=true")
	code, err := exec.Wait(60 * time.Second)
	if err != nil || code != 0 || !strings.Contains(exec.Output(), "TASK_FINISHED") {
		t.Fatalf("mesos-execute --master=%s: exit %d, %v; output:\n%s", zkURL, code, err, exec.Output())
	}
}
