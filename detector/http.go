package detector

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	// PollInterval is how often the HTTP detector asks the master while it
	// waits for a change.
	PollInterval = time.Second
	// requestTimeout bounds one GET /master/info.
	requestTimeout = 5 * time.Second
	// maxInfoSize bounds the body read from /master/info.
	maxInfoSize = 1 << 20
)

// httpDetector polls GET http://host:port/master/info.
type httpDetector struct {
	url      string
	client   *http.Client
	interval time.Duration
}

func newHTTP(hostport string) *httpDetector {
	return &httpDetector{
		url:      "http://" + hostport + "/master/info",
		client:   &http.Client{Timeout: requestTimeout},
		interval: PollInterval,
	}
}

// Detect polls until the answer differs from previous. A failed poll while
// previous names a leader means the leader is gone: it returns nil. A failed
// poll while no leader is known keeps polling.
func (d *httpDetector) Detect(ctx context.Context, previous *mesos.MasterInfo) (*mesos.MasterInfo, error) {
	for {
		info, err := d.poll(ctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch {
		case err != nil && previous != nil:
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

// poll asks the master once.
func (d *httpDetector) poll(ctx context.Context) (*mesos.MasterInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInfoSize))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", d.url, resp.Status)
	}
	info := &mesos.MasterInfo{}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true, AllowPartial: true}
	if err := opts.Unmarshal(body, info); err != nil {
		return nil, fmt.Errorf("GET %s: bad MasterInfo: %v", d.url, err)
	}
	if info.GetPid() == "" {
		return nil, fmt.Errorf("GET %s: MasterInfo has no pid", d.url)
	}
	if _, err := LeaderPID(info); err != nil {
		return nil, fmt.Errorf("GET %s: %v", d.url, err)
	}
	return info, nil
}
