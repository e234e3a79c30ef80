// Package harness starts gomesos clusters inside tests: a master and agents
// on one in-process actor node (with the controllable clock and the message
// filters of package actors), or the real binaries as processes.
package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/slave"
)

// Options shape an in-process cluster.
type Options struct {
	Agents         int                          // default 1
	AgentResources string                       // default "cpus:2;mem:1024;disk:1024;ports:[31000-32000]"
	Clock          actors.Clock                 // nil: the wall clock
	Master         func(*master.Config)         // adjusts the master's config
	Agent          func(i int, c *slave.Config) // adjusts agent i's config (1-based)
	LogLevel       logrus.Level                 // default Error
}

// Cluster is a master and its agents sharing one actor node, with their
// endpoints served by one HTTP test server (agent N under /slave(N)/).
type Cluster struct {
	Node     *actors.Node
	Master   *master.Master
	Agents   []*slave.Slave
	Detector *detector.Standalone
	HTTP     *httptest.Server
	WorkDir  string
	t        testing.TB
}

// Start starts a cluster; it is torn down when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Agents == 0 {
		opts.Agents = 1
	}
	if opts.AgentResources == "" {
		opts.AgentResources = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]"
	}
	if opts.LogLevel == 0 {
		opts.LogLevel = logrus.ErrorLevel
	}
	log := logrus.New()
	log.SetLevel(opts.LogLevel)
	node, err := actors.NewNode(actors.Config{Host: "127.0.0.1", Clock: opts.Clock, Logger: log})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	c := &Cluster{Node: node, WorkDir: t.TempDir(), t: t}
	mux := http.NewServeMux()
	c.HTTP = httptest.NewServer(mux)
	host, port := splitHostPort(t, c.HTTP.Listener.Addr().String())

	mcfg := master.DefaultConfig()
	mcfg.IP, mcfg.Port, mcfg.Hostname = host, port, "localhost"
	if opts.Master != nil {
		opts.Master(&mcfg)
	}
	c.Master, err = master.New(node, mcfg)
	if err != nil {
		t.Fatalf("new master: %v", err)
	}
	if _, err := c.Master.Start(); err != nil {
		t.Fatalf("start master: %v", err)
	}
	t.Cleanup(c.stop)
	c.Detector = detector.NewStandalone(c.Master.Info())
	bins := Binaries(t)
	for i := 1; i <= opts.Agents; i++ {
		acfg := slave.DefaultConfig()
		acfg.ID = fmt.Sprintf("slave(%d)", i)
		acfg.Detector = c.Detector
		acfg.IP, acfg.Port, acfg.Hostname = host, port, "localhost"
		acfg.WorkDir = filepath.Join(c.WorkDir, fmt.Sprintf("agent%d", i))
		acfg.Resources = opts.AgentResources
		acfg.LauncherDir = bins
		if opts.Agent != nil {
			opts.Agent(i, &acfg)
		}
		a, err := slave.New(node, acfg)
		if err != nil {
			t.Fatalf("new agent %d: %v", i, err)
		}
		pid, err := a.Start()
		if err != nil {
			t.Fatalf("start agent %d: %v", i, err)
		}
		c.Agents = append(c.Agents, a)
		mux.Handle("/"+pid.ID+"/", http.StripPrefix("/"+pid.ID, a.Handler()))
	}
	mux.Handle("/", c.Master.Handler())
	return c
}

func (c *Cluster) stop() {
	for _, a := range c.Agents {
		a.Stop()
	}
	c.Master.Stop()
	c.HTTP.Close()
	c.Node.Shutdown()
}

// MasterAddr is the master's HTTP host:port, what --master takes.
func (c *Cluster) MasterAddr() string { return c.HTTP.Listener.Addr().String() }

// State fetches and decodes /master/state.
func (c *Cluster) State() (map[string]any, error) {
	return GetJSON("http://" + c.MasterAddr() + "/master/state")
}

// WaitAgents waits until n agents are registered and active.
func (c *Cluster) WaitAgents(n int, timeout time.Duration) {
	c.t.Helper()
	Eventually(c.t, timeout, func() bool {
		st, err := c.State()
		if err != nil {
			return false
		}
		as, _ := st["activated_slaves"].(float64)
		return int(as) >= n
	}, fmt.Sprintf("%d agents registered", n))
}

// GetJSON fetches url and decodes a JSON object.
func GetJSON(url string) (map[string]any, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	return m, nil
}

// Eventually polls cond every 10ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func splitHostPort(t testing.TB, addr string) (string, int) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// TempDir is a scratch folder removed when the test ends.
func TempDir(t testing.TB) string {
	d, err := os.MkdirTemp("", "gomesos-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// MustJSON renders v as JSON text (for substring checks in tests).
func MustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
