package metrics

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// System registers the system/* gauges libprocess publishes in every
// process (system/cpus_total, system/load_1min, _5min, _15min,
// system/mem_total_bytes and system/mem_free_bytes), read from /proc at
// every snapshot. It registers them once per registry; later calls do
// nothing, so a master and its agents in mesos-local may each call it.
// Where /proc cannot be read, the gauge is left out of the snapshot.
func (r *Registry) System() {
	r.systemOnce.Do(func() {
		r.system = &systemCollector{
			cpus:     r.Desc("system/cpus_total", "Number of CPUs available to this process."),
			load1:    r.Desc("system/load_1min", "Load average over the last minute."),
			load5:    r.Desc("system/load_5min", "Load average over the last 5 minutes."),
			load15:   r.Desc("system/load_15min", "Load average over the last 15 minutes."),
			memTotal: r.Desc("system/mem_total_bytes", "Total memory of the machine, in bytes."),
			memFree:  r.Desc("system/mem_free_bytes", "Memory available for new work (MemAvailable, or MemFree on old kernels), in bytes."),
			procDir:  "/proc",
		}
		r.MustRegister(r.system)
	})
}

type systemCollector struct {
	cpus, load1, load5, load15, memTotal, memFree *prometheus.Desc
	procDir                                       string
}

func (c *systemCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.cpus, c.load1, c.load5, c.load15, c.memTotal, c.memFree} {
		ch <- d
	}
}

func (c *systemCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(c.cpus, float64(runtime.NumCPU()))
	if loads, ok := readLoadavg(c.procDir + "/loadavg"); ok {
		gauge(c.load1, loads[0])
		gauge(c.load5, loads[1])
		gauge(c.load15, loads[2])
	}
	if mem, ok := readMeminfo(c.procDir + "/meminfo"); ok {
		gauge(c.memTotal, mem["MemTotal"])
		free, ok := mem["MemAvailable"]
		if !ok {
			free = mem["MemFree"]
		}
		gauge(c.memFree, free)
	}
}

// readLoadavg reads the three load averages of a /proc/loadavg file.
func readLoadavg(path string) ([3]float64, bool) {
	var out [3]float64
	b, err := os.ReadFile(path)
	if err != nil {
		return out, false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return out, false
	}
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return out, false
		}
		out[i] = v
	}
	return out, true
}

// readMeminfo reads a /proc/meminfo file into bytes by field name.
func readMeminfo(path string) (map[string]float64, bool) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer fh.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			v *= 1024
		}
		out[name] = v
	}
	_, ok := out["MemTotal"]
	return out, ok && sc.Err() == nil
}
