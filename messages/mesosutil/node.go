package mesosutil

import (
	"os"
	"os/exec"
	"strings"
)

// GetHostname returns hostnameOverride when it is not empty, else the
// fully qualified name from "hostname -f", falling back to os.Hostname
// and finally to "localhost".
func GetHostname(hostnameOverride string) string {
	if h := strings.TrimSpace(hostnameOverride); h != "" {
		return h
	}
	if out, err := exec.Command("hostname", "-f").Output(); err == nil {
		if h := strings.TrimSpace(string(out)); h != "" {
			return h
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}
