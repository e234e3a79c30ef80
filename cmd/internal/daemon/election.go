package daemon

import (
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/contender"
	"github.com/gomesos/gomesos/master/registry"
)

// Election is how a master daemon is elected: standalone without zkURL
// (leader at once), else a ZooKeeper contender and detector on the group
// of zkURL with the given session timeout. The registry (registryKind) is
// in ZooKeeper, fenced by each candidacy, or in this process' memory, kept
// across its terms (a master that stepped down and leads again recovers
// what it admitted). closeFn stops the detector.
func Election(zkURL string, sessionTimeout time.Duration, registryKind string, log *logrus.Logger) (opts master.SupervisorOptions, closeFn func(), err error) {
	mem := registry.NewMemory()
	opts.Registry = func(c contender.Candidacy) registry.Store { return mem.Fenced(c.Held) }
	if zkURL == "" {
		return opts, func() {}, nil
	}
	u, err := zkgroup.ParseURL(zkURL)
	if err != nil {
		return opts, nil, Usage(err)
	}
	c, err := contender.NewZooKeeper(zkURL, sessionTimeout, log.WithField("component", "contender"))
	if err != nil {
		return opts, nil, Usage(err)
	}
	d := detector.NewZooKeeper(u, sessionTimeout, log.WithField("component", "detector"))
	opts.Contender, opts.Detector = c, d
	if registryKind == RegistryZK {
		opts.Registry = func(c contender.Candidacy) registry.Store {
			if zc, ok := c.(*contender.ZKCandidacy); ok {
				return zc.Registry()
			}
			return mem.Fenced(c.Held)
		}
	}
	return opts, d.Close, nil
}

// RedactZK is a zk:// URL without its credentials, for logs.
func RedactZK(zkURL string) string {
	u, err := zkgroup.ParseURL(zkURL)
	if err != nil {
		return "zk://(invalid)"
	}
	return u.String()
}
