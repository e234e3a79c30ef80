package detector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	// PollInterval is how often the HTTP detector asks the master while it
	// waits for a change.
	PollInterval = time.Second
	// WarnInterval is how often, at most, the HTTP detector repeats its
	// warning while its polls keep failing (the first failure always warns).
	WarnInterval = 10 * time.Second
	// requestTimeout bounds one GET /master/info.
	requestTimeout = 5 * time.Second
	// SlowMasterGrace is how long polls of a known leader may go on timing
	// out before the HTTP detector takes it as lost. A master busy with a
	// burst can take longer than requestTimeout to answer and is not gone;
	// one that exited refuses the connection, which counts at once (and its
	// actor link breaks anyway).
	SlowMasterGrace = 30 * time.Second
	// maxInfoSize bounds the body read from /master/info.
	maxInfoSize = 1 << 20
)

// httpDetector polls GET http://host:port/master/info.
type httpDetector struct {
	url       string
	client    *http.Client
	interval  time.Duration
	grace     time.Duration // SlowMasterGrace
	log       logrus.FieldLogger
	warnEvery time.Duration
	now       func() time.Time // read once per failed or first good poll

	mu       sync.Mutex
	failures int       // consecutive failed polls
	since    time.Time // first of them
	lastWarn time.Time // last warning about them
	found    bool      // a master ever answered
}

func newHTTP(hostport string, log logrus.FieldLogger) *httpDetector {
	return &httpDetector{
		url:       "http://" + hostport + "/master/info",
		client:    &http.Client{Timeout: requestTimeout},
		interval:  PollInterval,
		grace:     SlowMasterGrace,
		log:       log,
		warnEvery: WarnInterval,
		now:       time.Now,
	}
}

// Detect polls until the answer differs from previous. A failed poll while
// previous names a leader means the leader is gone (it returns nil), unless
// the poll only timed out: a busy master is slow, so timeouts are taken for
// a lost leader only once they have gone on for the grace period
// (SlowMasterGrace). A failed poll while no leader is known keeps polling.
// Failed polls are reported on the detector's logger (see failed).
func (d *httpDetector) Detect(ctx context.Context, previous *mesos.MasterInfo) (*mesos.MasterInfo, error) {
	for {
		info, err := d.poll(ctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			d.failed(err)
		} else {
			d.answered(info)
		}
		switch {
		case err != nil && previous != nil && d.lost(err):
			return nil, nil
		case err == nil && !Same(info, previous):
			return info, nil
		}
		t := time.NewTimer(d.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// lost reports whether a failed poll of a known leader means it is gone:
// at once unless the poll timed out; after timeouts, once the failures
// have gone on for the grace period, which it then says.
func (d *httpDetector) lost(err error) bool {
	if !isTimeout(err) {
		return true
	}
	d.mu.Lock()
	now := d.now()
	failures, since := d.failures, d.since
	d.mu.Unlock()
	if now.Sub(since) < d.grace {
		return false
	}
	d.log.WithField("failures", failures).Warnf("Lost the master at %s (no answer for %s); retrying", d.url, now.Sub(since).Round(time.Second))
	return true
}

func isTimeout(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && ue.Timeout()
}

// failed counts a failed poll and warns on the first of a run of failures,
// then at most every warnEvery while they go on.
func (d *httpDetector) failed(err error) {
	d.mu.Lock()
	now := d.now()
	d.failures++
	if d.failures == 1 {
		d.since = now
	} else if now.Sub(d.lastWarn) < d.warnEvery {
		d.mu.Unlock()
		return
	}
	d.lastWarn = now
	failures, since, found := d.failures, d.since, d.found
	d.mu.Unlock()

	var nm *notMasterError
	var msg string
	switch {
	case errors.As(err, &nm):
		msg = fmt.Sprintf("%s does not look like a gomesos/Mesos master (%s); check the master address. Retrying", d.url, nm.reason)
	case found && isTimeout(err) && failures == 1:
		msg = fmt.Sprintf("The master at %s is slow to answer (%s); still following it for up to %s", d.url, d.reason(err), d.grace)
	case found && isTimeout(err):
		msg = fmt.Sprintf("Still no answer from the master at %s after %s (%s); retrying", d.url, now.Sub(since).Round(time.Second), d.reason(err))
	case failures > 1:
		msg = fmt.Sprintf("Still no master at %s after %s (%s); retrying", d.url, now.Sub(since).Round(time.Second), d.reason(err))
	case found:
		msg = fmt.Sprintf("Lost the master at %s (%s); retrying", d.url, d.reason(err))
	default:
		msg = fmt.Sprintf("No master found at %s yet (%s); retrying", d.url, d.reason(err))
	}
	d.log.WithField("failures", failures).Warn(msg)
}

// answered ends a run of failures, saying so if it was one.
func (d *httpDetector) answered(info *mesos.MasterInfo) {
	d.mu.Lock()
	failures := d.failures
	var took time.Duration
	if failures > 0 {
		took = d.now().Sub(d.since)
	}
	d.failures = 0
	d.found = true
	d.mu.Unlock()
	if failures > 0 {
		d.log.WithField("failures", failures).Infof("Found master %s at %s after %d failed attempts (%s)", info.GetPid(), d.url, failures, took.Round(time.Second))
	}
}

// notMasterError is an answer that no master gives: the address is some
// other HTTP server (an agent, say) or the wrong port.
type notMasterError struct{ reason string }

func (e *notMasterError) Error() string { return "not a master: " + e.reason }

func notMaster(format string, args ...any) error {
	return &notMasterError{reason: fmt.Sprintf(format, args...)}
}

// reason is the gist of a failed request, without the URL that the log
// line names already: "connection refused", "timed out", ...
func (d *httpDetector) reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %s", d.client.Timeout)
		}
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) && se.Err != nil {
		err = se.Err
	}
	return err.Error()
}

// poll asks the master once.
func (d *httpDetector) poll(ctx context.Context) (*mesos.MasterInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		// A server that does not speak HTTP/1 (the actor remoting port
		// of a master PID, say) answers with bytes the client cannot parse.
		var ue *url.Error
		if errors.As(err, &ue) && !ue.Timeout() && isMalformed(ue.Err) {
			return nil, notMaster("the answer is not HTTP/1; for the master's actor port, give master@host:port")
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInfoSize))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, notMaster("%s", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s", resp.Status)
	case !json.Valid(body):
		return nil, notMaster("the answer is not JSON")
	}
	info := &mesos.MasterInfo{}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true, AllowPartial: true}
	if err := opts.Unmarshal(body, info); err != nil {
		return nil, notMaster("the answer is not a MasterInfo: %v", err)
	}
	if info.GetPid() == "" {
		return nil, notMaster("the MasterInfo has no pid")
	}
	if _, err := LeaderPID(info); err != nil {
		return nil, notMaster("the MasterInfo has a bad pid: %v", err)
	}
	return info, nil
}

// isMalformed reports whether err is net/http's complaint about an answer
// that is not HTTP/1: "malformed HTTP response ..." when the bytes come as
// the answer, "readLoopPeekFailLocked: ..." when they come before the
// request was sent (a gRPC server sends its SETTINGS frame on accept).
func isMalformed(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "malformed HTTP") || strings.Contains(s, "readLoopPeekFailLocked")
}
