package allocator

import (
	"slices"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Sync is the Allocator interface over a Core, applied at once on the
// caller's goroutine: for simulations and tests that drive the master's
// core and decide themselves when to run Core.Allocate. Now gives the time
// of refusal filters (RecoverResources). Initialize, Pause and Resume do
// nothing: the caller owns the core's options and its allocation runs.
// It takes its arguments over as the interface says: the agents' infos
// and the filters are not copied (the master never changes them).
type Sync struct {
	Core *Core
	Now  func() time.Time
}

var _ Allocator = Sync{}

func (s Sync) Initialize(Options, OfferCallback) {}

func (s Sync) AddFramework(id string, info *mesos.FrameworkInfo, used map[string]resources.Resources, active bool, opts FrameworkOptions) {
	s.Core.AddFramework(id, cloneInfo(info), used, active, opts)
}

func (s Sync) RemoveFramework(id string)     { s.Core.RemoveFramework(id) }
func (s Sync) ActivateFramework(id string)   { s.Core.ActivateFramework(id) }
func (s Sync) DeactivateFramework(id string) { s.Core.DeactivateFramework(id) }

func (s Sync) UpdateFramework(id string, info *mesos.FrameworkInfo, opts FrameworkOptions) {
	s.Core.UpdateFramework(id, cloneInfo(info), opts)
}

func (s Sync) AddSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources, used map[string]resources.Resources) {
	s.Core.AddSlave(id, info, slices.Clone(caps), total, used)
}

func (s Sync) RemoveSlave(id string) { s.Core.RemoveSlave(id) }

func (s Sync) UpdateSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources) {
	s.Core.UpdateSlave(id, info, slices.Clone(caps), total)
}

func (s Sync) ActivateSlave(id string)   { s.Core.ActivateSlave(id) }
func (s Sync) DeactivateSlave(id string) { s.Core.DeactivateSlave(id) }

func (s Sync) UpdateAllocation(fid, aid string, offered resources.Resources, conversions []Conversion) {
	s.Core.UpdateAllocation(fid, aid, offered, slices.Clone(conversions))
}

func (s Sync) RecoverResources(fid, aid string, res resources.Resources, filters *mesos.Filters) {
	s.Core.RecoverResources(s.Now(), fid, aid, res, filters) // not kept
}

func (s Sync) SuppressOffers(fid string, roles []string) {
	s.Core.SuppressOffers(fid, slices.Clone(roles))
}
func (s Sync) ReviveOffers(fid string, roles []string)  { s.Core.ReviveOffers(fid, slices.Clone(roles)) }
func (s Sync) UpdateQuota(role string, q Quota)         { s.Core.UpdateQuota(role, q) }
func (s Sync) UpdateWeights(weights map[string]float64) { s.Core.UpdateWeights(weights) }
func (s Sync) Pause()                                   {}
func (s Sync) Resume()                                  {}
