package containerizer

import (
	"context"
	"fmt"
	"sort"

	"github.com/gomesos/gomesos/isolators"
	"github.com/sirupsen/logrus"
)

// recoverIsolation is the isolators' half of recovery after an agent
// restart, to be called once the launcher has recovered (its orphans are
// launcherOrphans): the orphans are those plus the containers the cgroups
// isolators find under their root that states does not name. Every
// isolator recovers states and learns the orphans; then each orphan is
// destroyed (its processes killed and its cgroups removed). It returns
// the orphans, sorted.
func (m *Mesos) recoverIsolation(ctx context.Context, states []isolators.RecoverState, launcherOrphans []string) ([]string, error) {
	known := make([]string, 0, len(states))
	for _, s := range states {
		known = append(known, s.ContainerID)
	}
	more, err := isolators.Unclaimed(m.isolators, known)
	if err != nil {
		return nil, fmt.Errorf("find orphaned containers: %w", err)
	}
	set := map[string]bool{}
	for _, id := range append(append([]string(nil), launcherOrphans...), more...) {
		set[id] = true
	}
	orphans := make([]string, 0, len(set))
	for id := range set {
		orphans = append(orphans, id)
	}
	sort.Strings(orphans)
	for _, iso := range m.isolators {
		if err := iso.Recover(ctx, states, orphans); err != nil {
			return nil, fmt.Errorf("isolator %s failed to recover: %w", iso.Name(), err)
		}
	}
	var errs []error
	for _, id := range orphans {
		log := m.log.WithField("container_id", id)
		log.Info("destroying orphaned container")
		if err := m.launcher.Destroy(ctx, id); err != nil {
			log.WithError(err).Error("failed to kill an orphaned container")
			errs = append(errs, err)
		}
		for i := len(m.isolators) - 1; i >= 0; i-- {
			if err := m.isolators[i].Cleanup(ctx, id); err != nil {
				log.WithFields(logrus.Fields{"isolator": m.isolators[i].Name()}).WithError(err).Error("isolator failed to clean up an orphaned container")
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return orphans, fmt.Errorf("destroy orphaned containers: %v", errs)
	}
	return orphans, nil
}
