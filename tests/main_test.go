package tests

import (
	"os"
	"testing"

	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
)

// TestMain fails the run if an isolation test left a cgroup behind.
func TestMain(m *testing.M) { os.Exit(cgroupstest.Main(m)) }
