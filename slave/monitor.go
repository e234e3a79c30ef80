package slave

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// usageTimeout bounds how long /monitor/statistics and /containers wait for
// the containerizer's measurements.
const usageTimeout = 5 * time.Second

// ContainerRef names a running executor's container and what it belongs to
// (the keys of /monitor/statistics and /containers).
type ContainerRef struct {
	ContainerID  string
	ExecutorID   string
	ExecutorName string
	FrameworkID  string
	Source       string
}

// ContainerRefs lists the containers of executors that have not terminated,
// framework by framework in arrival order; call it on the goroutine that
// drives the core.
func (c *Core) ContainerRefs() []ContainerRef {
	var out []ContainerRef
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		if f == nil {
			continue
		}
		for _, e := range f.executors {
			if e == nil || e.containerID == "" || e.state == executorTerminated || !e.launchedContainer {
				continue
			}
			out = append(out, ContainerRef{
				ContainerID:  e.containerID,
				ExecutorID:   e.id,
				ExecutorName: e.info.GetName(),
				FrameworkID:  fid,
				Source:       e.info.GetSource(),
			})
		}
	}
	return out
}

// containerUsage is one container's measurement, or nil statistics if
// measuring it failed.
type containerUsage struct {
	ref   ContainerRef
	stats *mesos.ResourceStatistics
}

// usage lists the containers (a quick call on the agent actor) and then
// measures them concurrently off the actor, within usageTimeout. A
// container that cannot be measured (it ended meanwhile) is left out, as
// Mesos does.
func (h *httpAPI) usage(w http.ResponseWriter, r *http.Request) ([]containerUsage, bool) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return nil, false
	}
	pid := h.s.PID()
	if pid.IsZero() {
		http.Error(w, "Agent has not started yet", http.StatusServiceUnavailable)
		return nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), usageTimeout)
	defer cancel()
	v, err := h.s.node.Call(ctx, pid, func() any { return h.s.p.core.ContainerRefs() })
	if err != nil {
		http.Error(w, "Agent is not available: "+err.Error(), http.StatusServiceUnavailable)
		return nil, false
	}
	refs, _ := v.([]ContainerRef)
	out := make([]containerUsage, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		out[i].ref = ref
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, err := h.s.cont.Usage(ctx, out[i].ref.ContainerID)
			if err != nil {
				h.s.node.Log().WithFields(logrus.Fields{"container_id": out[i].ref.ContainerID}).WithError(err).Debug("failed to measure container")
				return
			}
			out[i].stats = st
		}(i)
	}
	wg.Wait()
	return out, true
}

// monitorStatistics serves /monitor/statistics: Mesos' list of
// {executor_id, executor_name, framework_id, source, statistics}.
func (h *httpAPI) monitorStatistics(w http.ResponseWriter, r *http.Request) {
	us, ok := h.usage(w, r)
	if !ok {
		return
	}
	list := []any{}
	for _, u := range us {
		if u.stats == nil {
			continue
		}
		list = append(list, map[string]any{
			"executor_id":   u.ref.ExecutorID,
			"executor_name": u.ref.ExecutorName,
			"framework_id":  u.ref.FrameworkID,
			"source":        u.ref.Source,
			"statistics":    statisticsJSON(u.stats),
		})
	}
	httpjson.Write(w, r, list)
}

// containers serves /containers: Mesos' list of {container_id,
// executor_id, executor_name, framework_id, source, status, statistics}.
// status holds only the container id: the containerizer does not report
// the executor's pid or network.
func (h *httpAPI) containers(w http.ResponseWriter, r *http.Request) {
	us, ok := h.usage(w, r)
	if !ok {
		return
	}
	list := []any{}
	for _, u := range us {
		entry := map[string]any{
			"container_id":  u.ref.ContainerID,
			"executor_id":   u.ref.ExecutorID,
			"executor_name": u.ref.ExecutorName,
			"framework_id":  u.ref.FrameworkID,
			"source":        u.ref.Source,
			"status": map[string]any{
				"container_id": map[string]any{"value": u.ref.ContainerID},
			},
		}
		if u.stats != nil {
			entry["statistics"] = statisticsJSON(u.stats)
		}
		list = append(list, entry)
	}
	httpjson.Write(w, r, list)
}

// statisticsJSON renders ResourceStatistics as Mesos does: every number a
// JSON number (protobuf JSON would quote the 64-bit ones), nested messages
// as protobuf JSON.
func statisticsJSON(st *mesos.ResourceStatistics) map[string]any {
	out := map[string]any{}
	st.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.MessageKind:
			if m, ok := jsonmodel.Proto(st).(map[string]any); ok {
				out[name] = m[name]
			}
		default:
			out[name] = v.Interface()
		}
		return true
	})
	return out
}
