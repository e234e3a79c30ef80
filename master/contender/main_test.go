package contender

import (
	"os"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestMain: ZKDEBUG=1 shows the sessions' and go-zk's lines.
func TestMain(m *testing.M) {
	if os.Getenv("ZKDEBUG") != "" {
		logrus.SetLevel(logrus.DebugLevel)
	}
	os.Exit(m.Run())
}
