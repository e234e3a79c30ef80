package slave

import (
	"strings"
	"testing"
)

// Isolation flags are checked at start-up by building the isolators and
// the launcher: a host without the cgroups they need is a clear error.
func TestConfigValidateIsolationFlags(t *testing.T) {
	base := Config{WorkDir: t.TempDir(), Master: "127.0.0.1:5050"}
	noCgroups := t.TempDir() // a hierarchy with no controller mounted
	for _, tc := range []struct {
		mod  func(*Config)
		want []string
	}{
		{func(c *Config) { c.Isolation = "cgroups/mem"; c.CgroupsHierarchy = noCgroups }, []string{"--isolation", "cgroups/mem needs cgroups"}},
		{func(c *Config) { c.Isolation = "cgroups/all"; c.CgroupsHierarchy = noCgroups }, []string{"--isolation"}},
		{func(c *Config) { c.Launcher = "linux"; c.CgroupsHierarchy = noCgroups }, []string{"--launcher", "the linux launcher needs cgroups"}},
		{func(c *Config) { c.Isolation = "cgroups/cpu"; c.CgroupsHierarchy = "relative/path" }, []string{"--isolation", "absolute"}},
		{func(c *Config) { c.Isolation = "cgroups/cpu"; c.CgroupsRoot = "a/../.." }, []string{"--isolation", ".."}},
		{func(c *Config) { c.CgroupsPidsMax = -1 }, []string{"--cgroups_pids_max"}},
		{func(c *Config) { c.Isolation = "posix/cpu,bogus/thing" }, []string{"unknown isolator \"bogus/thing\""}},
	} {
		c := base
		tc.mod(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate = %q, want it to mention %q", err, w)
			}
		}
	}
	// The posix defaults need nothing from the host.
	if err := base.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}
