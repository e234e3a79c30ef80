package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// ValidateRole checks a role name with Mesos' rules and messages: "*" is
// valid; otherwise the name must not be empty, start or end with '/',
// contain "//", or have a '/'-separated component that is ".", "..", "*",
// starts with '-' or contains whitespace or DEL.
func ValidateRole(role string) error {
	if role == "*" {
		return nil
	}
	if role == "" {
		return errors.New("Role names cannot be the empty string")
	}
	if strings.HasPrefix(role, "/") {
		return fmt.Errorf("Role '%s' cannot start with a slash", role)
	}
	if strings.HasSuffix(role, "/") {
		return fmt.Errorf("Role '%s' cannot end with a slash", role)
	}
	if strings.Contains(role, "//") {
		return fmt.Errorf("Role '%s' cannot contain two adjacent slashes", role)
	}
	for _, c := range strings.Split(role, "/") {
		switch {
		case c == "." || c == ".." || c == "*":
			return fmt.Errorf("Role '%s' cannot include '%s' as a component", role, c)
		case strings.HasPrefix(c, "-"):
			return fmt.Errorf("Role component '%s' is invalid because it starts with a dash", c)
		case strings.ContainsAny(c, "\t\n\v\f\r \x7f"):
			return fmt.Errorf("Role component '%s' is invalid because it contains backspace or whitespace", c)
		}
	}
	return nil
}
