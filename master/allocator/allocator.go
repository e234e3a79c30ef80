package allocator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/metrics"
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
	// RoleSorter and FrameworkSorter name the sorters ("drf", the
	// default, or "random"), as --role_sorter and --framework_sorter do.
	RoleSorter      string
	FrameworkSorter string
	// FairnessExcludeResourceNames leaves resources out of DRF shares
	// (--fair_sharing_excluded_resource_names, e.g. "gpus").
	FairnessExcludeResourceNames []string
	// Seed seeds the random agent order and the random sorters; 0 seeds
	// from the clock.
	Seed uint64
	// Metrics, if set, receives the allocator's metrics under Mesos'
	// names (allocator/mesos/...).
	Metrics *metrics.Registry
}

// FrameworkOptions carries what a framework asked for besides its info.
type FrameworkOptions struct {
	// SuppressedRoles are the roles the framework does not want offers for.
	SuppressedRoles []string
}

// Quota is a role's quota: Guarantees are held back for the role (the
// quota stage of an allocation run and the headroom), Limits cap what it
// may consume. A name absent from Limits is unlimited; a nil Limits means
// no limit at all. Only top-level roles have quota.
type Quota struct {
	Guarantees Quantities
	Limits     Quantities
}

// IsDefault reports whether q is the default quota (nothing guaranteed,
// nothing limited).
func (q Quota) IsDefault() bool { return len(q.Guarantees) == 0 && len(q.Limits) == 0 }

// Conversion replaces Consumed by Converted in an allocation and in the
// agent's total (a RESERVE or UNRESERVE). Both carry the allocation
// info of the offer they apply to.
type Conversion struct {
	Consumed, Converted resources.Resources
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

	// UpdateAllocation applies conversions (RESERVE, UNRESERVE) to what
	// a framework was offered on an agent: its allocation and the
	// agent's total change accordingly.
	UpdateAllocation(frameworkID, agentID string, offered resources.Resources, conversions []Conversion)
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

	// UpdateQuota sets a role's quota (the default quota removes it).
	UpdateQuota(role string, quota Quota)
	// UpdateWeights sets role weights (DRF shares are divided by them).
	UpdateWeights(weights map[string]float64)

	// Pause stops allocation runs; Resume allows them again (the next
	// periodic or event-triggered run happens as usual).
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

// Quantities are scalar amounts by resource name ("cpus": 2, "mem": 1024).
// Ranges and sets count their elements.
type Quantities map[string]float64

// QuantitiesOf sums the quantities of r by name.
func QuantitiesOf(r resources.Resources) Quantities {
	q := Quantities{}
	for _, res := range r {
		if res == nil {
			continue
		}
		switch {
		case res.Scalar != nil:
			q[res.GetName()] += res.GetScalar().GetValue()
		case res.Ranges != nil:
			for _, rg := range res.GetRanges().GetRange() {
				if rg.GetEnd() >= rg.GetBegin() {
					q[res.GetName()] += float64(rg.GetEnd()-rg.GetBegin()) + 1
				}
			}
		case res.Set != nil:
			q[res.GetName()] += float64(len(res.GetSet().GetItem()))
		}
	}
	return q
}

// ScalarQuantities sums the scalar resources of r by name.
func ScalarQuantities(r resources.Resources) Quantities {
	q := Quantities{}
	for _, res := range r {
		if res != nil && res.Scalar != nil {
			q[res.GetName()] += res.GetScalar().GetValue()
		}
	}
	return q
}

// Contains reports whether q holds at least o of every name in o.
func (q Quantities) Contains(o Quantities) bool {
	for k, v := range o {
		if q[k]+1e-9 < v {
			return false
		}
	}
	return true
}

// String renders q as "cpus:2;mem:1024" in name order.
func (q Quantities) String() string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(';')
		}
		sb.WriteString(k)
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatFloat(q[k], 'f', -1, 64))
	}
	return sb.String()
}

// ParseQuantities parses "name:quantity" pairs separated by ';' (Mesos'
// ResourceQuantities text form). Quantities must be non-negative numbers;
// zeros are dropped.
func ParseQuantities(text string) (Quantities, error) {
	q := Quantities{}
	for _, part := range strings.Split(text, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.Contains(value, ":") {
			return nil, fmt.Errorf("Failed to parse '%s': missing or extra ':'", part)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("Failed to parse '%s' to quantity: only scalar values are allowed", strings.TrimSpace(value))
		}
		if v < 0 {
			return nil, fmt.Errorf("Failed to parse '%s' to quantity: negative values are not allowed", strings.TrimSpace(value))
		}
		if v > 0 {
			q[name] += v
		}
	}
	return q, nil
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
		if strings.TrimSpace(alt) == "" {
			return nil, fmt.Errorf("empty alternative in %q", text)
		}
		q, err := ParseQuantities(alt)
		if err != nil {
			return nil, err
		}
		if len(q) == 0 {
			return nil, fmt.Errorf("empty alternative in %q", text)
		}
		out = append(out, q)
	}
	return out, nil
}

// ParseWeights parses --weights: "role=weight" pairs separated by ','.
// Weights must be positive numbers; roles are checked by the caller.
func ParseWeights(text string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, token := range strings.Split(text, ",") {
		if strings.TrimSpace(token) == "" {
			continue
		}
		role, value, ok := strings.Cut(token, "=")
		if !ok || role == "" || value == "" || strings.Contains(value, "=") {
			return nil, fmt.Errorf("Invalid weight: '%s'. --weights should be of the form 'role=weight,role=weight'", token)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w <= 0 {
			return nil, fmt.Errorf("Invalid weight: '%s'. Weights must be positive", token)
		}
		out[strings.TrimSpace(role)] = w
	}
	return out, nil
}
