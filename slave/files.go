package slave

// The agent's /files endpoints (package files): each executor's run
// directory is attached twice, under its real path and under the virtual
// path /frameworks/<framework>/executors/<executor>/runs/latest; the
// agent's log file (Config.LogFile, set by --log_dir) is attached as
// /slave/log. The attached paths are taken on the actor; the disk is read
// on the request's goroutine.

import (
	"context"
	"fmt"
	"net/http"
	"path"

	"github.com/gomesos/gomesos/internal/files"
)

// LogVirtualPath is where the agent's log file is attached.
const LogVirtualPath = "/slave/log"

// ExecutorVirtualPath is the virtual path of an executor's latest run
// directory.
func ExecutorVirtualPath(frameworkID, executorID string) string {
	return path.Join("/frameworks", frameworkID, "executors", executorID, "runs", "latest")
}

// attachments returns the attached paths (virtual → real): every known
// executor's directory, live or completed, under both names. Call it on
// the goroutine that drives the core.
func (c *Core) attachments() map[string]string {
	out := map[string]string{}
	add := func(e *executor) {
		dir := c.sandbox(e)
		out[dir] = dir
		out[ExecutorVirtualPath(e.frameworkID(), e.id)] = dir
	}
	visit := func(f *framework) {
		for _, e := range f.completedExecutors {
			add(e)
		}
		for _, e := range f.executors {
			add(e) // the live run wins over completed ones
		}
	}
	for _, f := range c.completedFrameworks {
		visit(f)
	}
	for _, id := range c.frameworkOrder {
		if f := c.frameworks[id]; f != nil {
			visit(f)
		}
	}
	return out
}

// filesRoutes are the /files endpoints, for the agent's route table.
func filesRoutes(h *httpAPI) map[string]http.HandlerFunc { return files.Routes(h.attached) }

// attached takes the attached paths from the actor.
func (h *httpAPI) attached(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	pid := h.s.PID()
	if !pid.IsZero() {
		ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
		defer cancel()
		v, err := h.s.node.Call(ctx, pid, func() any { return h.s.p.core.attachments() })
		if err != nil {
			return nil, fmt.Errorf("Agent is not available: %v", err)
		}
		out = v.(map[string]string)
	}
	if h.s.cfg.LogFile != "" {
		out[LogVirtualPath] = h.s.cfg.LogFile
	}
	return out, nil
}
