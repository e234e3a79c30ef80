package daemon

import (
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/contender"
)

// Election is how a master daemon is elected: standalone without zkURL
// (leader at once), else a ZooKeeper contender and detector on the group
// of zkURL with the given session timeout. closeFn stops the detector.
func Election(zkURL string, sessionTimeout time.Duration, log *logrus.Logger) (opts master.SupervisorOptions, closeFn func(), err error) {
	if zkURL == "" {
		return master.SupervisorOptions{}, func() {}, nil
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
	return master.SupervisorOptions{Contender: c, Detector: d}, d.Close, nil
}

// RedactZK is a zk:// URL without its credentials, for logs.
func RedactZK(zkURL string) string {
	u, err := zkgroup.ParseURL(zkURL)
	if err != nil {
		return "zk://(invalid)"
	}
	return u.String()
}
