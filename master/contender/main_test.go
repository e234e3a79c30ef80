package contender

import (
	"io"
	"os"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestMain: ZKDEBUG=1 shows the sessions' and go-zk's lines.
func TestMain(m *testing.M) {
	testLog.SetOutput(io.Discard)
	if os.Getenv("ZKDEBUG") != "" {
		testLog.SetOutput(os.Stderr)
		testLog.SetLevel(logrus.DebugLevel)
	}
	os.Exit(m.Run())
}

var testLog = logrus.New()
