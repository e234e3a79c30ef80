package allocator

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Offers is what one allocation run gives one framework: resources by role,
// then by agent id. Every resource carries allocation_info.role.
type Offers map[string]map[string]resources.Resources

// OfferCallback receives the result of an allocation run, once per
// framework that was given something. It runs on the allocator's
// goroutine; a master hands the work over to its own (Node.Dispatch).
type OfferCallback func(frameworkID string, offers Offers)

// Options configure an allocator.
type Options struct {
	// AllocationInterval is the period of the batch allocation loop.
	AllocationInterval time.Duration
	// MinAllocatable lists alternatives: an offer must contain at least
	// one of them entirely. Empty means any non-empty offer will do.
	MinAllocatable []Quantities
	// FilterGPUResources keeps agents with GPUs away from frameworks
	// without the GPU_RESOURCES capability (Mesos' default).
	FilterGPUResources bool
}

// FrameworkOptions carries what a framework asked for besides its info.
type FrameworkOptions struct {
	// SuppressedRoles are the roles the framework does not want offers for.
	SuppressedRoles []string
}

// Allocator is the interface the master drives, shaped like Mesos'
// mesos::allocator::Allocator. IDs are the string values of FrameworkID
// and SlaveID. Implementations take their arguments over: the caller must
// not modify them afterwards.
type Allocator interface {
	// Initialize sets the options and the callback that receives offers.
	Initialize(opts Options, offer OfferCallback)

	// AddFramework adds a framework; used holds what its tasks and
	// executors already use, by agent (after a master failover).
	AddFramework(frameworkID string, info *mesos.FrameworkInfo, used map[string]resources.Resources, active bool, opts FrameworkOptions)
	// RemoveFramework forgets a framework and frees all it holds.
	RemoveFramework(frameworkID string)
	// ActivateFramework makes a framework eligible for offers again.
	ActivateFramework(frameworkID string)
	// DeactivateFramework stops offers to a framework and clears its
	// offer filters; what it holds stays allocated.
	DeactivateFramework(frameworkID string)
	// UpdateFramework changes a framework's info (roles, capabilities)
	// and its suppressed roles.
	UpdateFramework(frameworkID string, info *mesos.FrameworkInfo, opts FrameworkOptions)

	// AddSlave adds an agent with its total resources and what each
	// framework already uses there.
	AddSlave(agentID string, info *mesos.SlaveInfo, capabilities []mesos.SlaveInfo_Capability_Type, total resources.Resources, used map[string]resources.Resources)
	// RemoveSlave forgets an agent.
	RemoveSlave(agentID string)
	// UpdateSlave changes an agent's info, capabilities and total.
	UpdateSlave(agentID string, info *mesos.SlaveInfo, capabilities []mesos.SlaveInfo_Capability_Type, total resources.Resources)
	// ActivateSlave and DeactivateSlave include and exclude an agent from
	// allocation.
	ActivateSlave(agentID string)
	DeactivateSlave(agentID string)

	// RecoverResources returns resources a framework held on an agent
	// (declined, rescinded, or freed by a finished task). A non-nil filters
	// installs a refusal filter, as Mesos does for declines.
	RecoverResources(frameworkID, agentID string, res resources.Resources, filters *mesos.Filters)
	// SuppressOffers stops offers for the given roles (all of the
	// framework's roles if empty).
	SuppressOffers(frameworkID string, roles []string)
	// ReviveOffers clears filters and suppression for the given roles (all
	// if empty) and triggers an allocation.
	ReviveOffers(frameworkID string, roles []string)

	// Pause stops allocation runs; Resume starts them again.
	Pause()
	Resume()
}

// DefaultRefuseSeconds is Filters.refuse_seconds' default.
const DefaultRefuseSeconds = 5.0

// maxRefuse is where refuse_seconds is clamped.
const maxRefuse = 365 * 24 * time.Hour

// RefuseTimeout turns Filters into the lifetime of a refusal filter: zero
// means none. Negative or unrepresentable values mean the default 5 s,
// more than 365 days is clamped, and anything non-zero lasts at least one
// allocation interval.
func RefuseTimeout(f *mesos.Filters, interval time.Duration) time.Duration {
	if f == nil {
		return 0
	}
	secs := f.GetRefuseSeconds() // the getter yields the default 5 when unset
	var d time.Duration
	switch {
	case math.IsNaN(secs) || secs < 0:
		d = time.Duration(DefaultRefuseSeconds * float64(time.Second))
	case secs > maxRefuse.Seconds():
		d = maxRefuse
	default:
		d = time.Duration(secs * float64(time.Second))
	}
	if d == 0 {
		return 0
	}
	if d < interval {
		d = interval
	}
	return d
}

// ParseMinAllocatable parses --min_allocatable_resources: alternatives
// separated by '|', each "name:quantity" pairs separated by ';', e.g.
// "cpus:0.01|mem:32". Empty text means no minimum.
func ParseMinAllocatable(text string) ([]Quantities, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	var out []Quantities
	for _, alt := range strings.Split(text, "|") {
		q := Quantities{}
		for _, part := range strings.Split(alt, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, value, ok := strings.Cut(part, ":")
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				return nil, fmt.Errorf("%q is not of the form name:quantity", part)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, fmt.Errorf("%q has an invalid quantity", part)
			}
			q[name] += v
		}
		if len(q) == 0 {
			return nil, fmt.Errorf("empty alternative in %q", text)
		}
		out = append(out, q)
	}
	return out, nil
}
