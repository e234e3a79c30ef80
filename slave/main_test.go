package slave

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	checkTaskIndex = true
	os.Exit(m.Run())
}
