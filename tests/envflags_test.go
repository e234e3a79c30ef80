package tests

// Every flag of every daemon is documented by --help and can be set as
// MESOS_<FLAG>, as in Mesos: each daemon is started with nothing on its
// command line and every flag in its environment, and its /flags must
// show each value. A flag added without an entry in envValues fails here.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/tests/harness"
)

// envValue is what a test sets a flag to and what /flags then shows.
type envValue struct{ set, shown string }

// envValues returns a value, other than its default, for every flag of the
// three daemons; dir is a scratch folder. Ports are picked free.
func envValues(t *testing.T, dir string) map[string]envValue {
	same := func(v string) envValue { return envValue{v, v} }
	port, remoting := freePort(t), freePort(t)
	return map[string]envValue{
		// Common.
		"ip":              same("127.0.0.2"),
		"advertise_ip":    same("127.0.0.2"),
		"hostname":        same("env-host"),
		"port":            same(port),
		"remoting_port":   same(remoting),
		"logging_level":   same("VERBOSE"),
		"log_dir":         same(filepath.Join(dir, "logs")),
		"log_format":      same("json"),
		"work_dir":        same(filepath.Join(dir, "work")),
		"trace_file":      same(filepath.Join(dir, "trace.jsonl")),
		"trace_payloads":  same("true"),
		"trace_ring_size": same("17"),
		// Master.
		"agent_ping_timeout":                   same("7secs"),
		"agent_removal_rate_limit":             same("1/10mins"),
		"agent_reregister_timeout":             same("15mins"),
		"allocation_interval":                  same("2secs"),
		"cluster":                              same("env-cluster"),
		"fair_sharing_excluded_resource_names": same("gpus"),
		"filter_gpu_resources":                 same("false"),
		"framework_sorter":                     same("random"),
		"role_sorter":                          same("random"),
		"max_agent_ping_timeouts":              same("7"),
		"max_completed_frameworks":             same("7"),
		"max_completed_tasks_per_framework":    same("7"),
		"min_allocatable_resources":            same("cpus:0.1|mem:64"),
		"offer_timeout":                        same("1mins"),
		"roles":                                same("env,web"),
		"root_submissions":                     same("false"),
		"weights":                              same("web=2"),
		"zk_session_timeout":                   same("3secs"),
		"registry":                             same("in_memory"),
		"quorum":                               same("2"),
		"registry_fetch_timeout":               same("2mins"),
		"registry_store_timeout":               same("30secs"),
		"registry_max_agent_age":               same("1weeks"),
		"registry_max_agent_count":             same("1000"),
		"registry_gc_interval":                 same("5mins"),
		// Agent.
		"master":                                 same("127.0.0.1:1"),
		"attributes":                             same("rack:r1"),
		"resources":                              same("cpus:3;mem:333"),
		"default_role":                           same("web"),
		"isolation":                              same("posix/cpu"),
		"launcher":                               same("posix"),
		"command_executor":                       same("agent"),
		"launcher_dir":                           same(harness.Binaries(t)),
		"cgroups_enable_cfs":                     same("true"),
		"cgroups_hierarchy":                      same("/sys/fs/cgroup/"),
		"cgroups_root":                           same("gomesos-env-test"),
		"cgroups_pids_max":                       same("99"),
		"executor_registration_timeout":          same("2mins"),
		"executor_reregistration_timeout":        same("3secs"),
		"executor_shutdown_grace_period":         same("6secs"),
		"recover":                                same("reconnect"),
		"strict":                                 same("false"),
		"registration_backoff_factor":            same("2secs"),
		"reconfiguration_policy":                 same("additive"),
		"executor_reregistration_retry_interval": same("1secs"),
		// mesos-local.
		"num_slaves": same("2"),
	}
}

// flagsCheckedElsewhere are flags a daemon cannot start with in this
// test; TestDaemonFlagsFromEnvironment checks them on their own.
var flagsCheckedElsewhere = map[string]bool{"zk": true}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

var helpFlag = regexp.MustCompile(`^  --([a-z0-9_]+)`)

// helpFlags runs bin --help and returns each flag with its help text.
func helpFlags(t *testing.T, bin string) map[string]string {
	t.Helper()
	out, err := exec.Command(filepath.Join(harness.Binaries(t), bin), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", bin, err, out)
	}
	flags := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	name := ""
	for sc.Scan() {
		line := sc.Text()
		if m := helpFlag.FindStringSubmatch(line); m != nil {
			name = m[1]
			flags[name] = ""
		} else if name != "" && strings.TrimSpace(line) != "" {
			flags[name] += strings.TrimSpace(line)
		}
	}
	return flags
}

func TestDaemonFlagsFromEnvironment(t *testing.T) {
	for _, d := range []struct{ bin, flagsPath string }{
		{"mesos-master", "/master/flags"},
		{"mesos-agent", "/flags"},
		{"mesos-local", "/master/flags"},
	} {
		t.Run(d.bin, func(t *testing.T) {
			help := helpFlags(t, d.bin)
			if len(help) < 10 {
				t.Fatalf("--help lists only %d flags", len(help))
			}
			dir := harness.TempDir(t)
			values := envValues(t, dir)
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			var names []string
			for name, text := range help {
				if text == "" {
					t.Errorf("--help gives --%s no description", name)
				}
				if flagsCheckedElsewhere[name] {
					continue
				}
				v, ok := values[name]
				if !ok {
					t.Errorf("--%s has no value in envValues: add one so that MESOS_%s is tested", name, strings.ToUpper(name))
					continue
				}
				env = append(env, "MESOS_"+strings.ToUpper(name)+"="+v.set)
				names = append(names, name)
			}
			sort.Strings(names)
			cmd := exec.Command(filepath.Join(harness.Binaries(t), d.bin))
			cmd.Env = env
			cmd.Dir = dir
			var out syncOut
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
				if t.Failed() {
					t.Logf("output:\n%s", out.String())
				}
			})
			url := "http://127.0.0.2:" + values["port"].set + d.flagsPath
			var flags map[string]any
			harness.Eventually(t, 30*time.Second, func() bool {
				select {
				case <-exited:
					t.Fatalf("%s exited with every flag from the environment", d.bin)
				default:
				}
				got, err := harness.GetJSON(url)
				if err != nil {
					return false
				}
				flags, _ = got["flags"].(map[string]any)
				return flags != nil
			}, d.bin+" serving "+d.flagsPath+" on the port MESOS_PORT named")
			for _, name := range names {
				if got := fmt.Sprint(flags[name]); got != values[name].shown {
					t.Errorf("MESOS_%s=%s: %s shows %s=%q", strings.ToUpper(name), values[name].set, d.flagsPath, name, got)
				}
			}
		})
	}

	// --zk needs a ZooKeeper: MESOS_ZK is honoured when the master either
	// refuses the value by name or shows it in /master/flags.
	t.Run("mesos-master/zk", func(t *testing.T) {
		if _, ok := helpFlags(t, "mesos-master")["zk"]; !ok {
			t.Skip("mesos-master has no --zk")
		}
		dir := harness.TempDir(t)
		port := freePort(t)
		zk := "zk://127.0.0.1:1/gomesos-env-test"
		cmd := exec.Command(filepath.Join(harness.Binaries(t), "mesos-master"))
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "MESOS_ZK=" + zk, "MESOS_IP=127.0.0.2", "MESOS_PORT=" + port,
			"MESOS_WORK_DIR=" + dir, "MESOS_ZK_SESSION_TIMEOUT=1secs"}
		var out syncOut
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		defer func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-exited }()
		harness.Eventually(t, 30*time.Second, func() bool {
			select {
			case <-exited:
				return strings.Contains(out.String(), zk)
			default:
			}
			got, err := harness.GetJSON("http://127.0.0.2:" + port + "/master/flags")
			return err == nil && fmt.Sprint(got["flags"].(map[string]any)["zk"]) == zk
		}, "the master naming MESOS_ZK's value")
	})
}

// syncOut collects a child's output from its two pipes.
type syncOut struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncOut) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncOut) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
