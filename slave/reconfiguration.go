package slave

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Reconfiguration policies (--reconfiguration_policy): which changes of
// its SlaveInfo an agent restarted on the same --work_dir accepts while
// keeping its id and its executors.
const (
	// ReconfigureEqual accepts no change (Mesos' default).
	ReconfigureEqual = "equal"
	// ReconfigureAdditive accepts new resources, attributes and a domain,
	// and more of a resource; nothing may be removed, shrink or change.
	ReconfigureAdditive = "additive"
)

// CheckReconfiguration says whether an agent now described by current may
// recover the agent it checkpointed as previous, under policy; the error
// says what changed. Ids are not compared.
func CheckReconfiguration(policy string, previous, current *mesos.SlaveInfo) error {
	switch policy {
	case ReconfigureEqual, "":
		return equalInfo(previous, current)
	case ReconfigureAdditive:
		return additiveInfo(previous, current)
	}
	return fmt.Errorf("--reconfiguration_policy=%q: must be %q or %q", policy, ReconfigureEqual, ReconfigureAdditive)
}

func equalInfo(previous, current *mesos.SlaveInfo) error {
	var errs []error
	if previous.GetHostname() != current.GetHostname() {
		errs = append(errs, fmt.Errorf("hostname changed from %s to %s", previous.GetHostname(), current.GetHostname()))
	}
	if previous.GetPort() != current.GetPort() {
		errs = append(errs, fmt.Errorf("port changed from %d to %d", previous.GetPort(), current.GetPort()))
	}
	was, now := resources.Resources(previous.GetResources()), resources.Resources(current.GetResources())
	if !was.Equal(now) {
		errs = append(errs, fmt.Errorf("resources changed from %s to %s", was, now))
	}
	if !sameAttributes(previous.GetAttributes(), current.GetAttributes()) {
		errs = append(errs, fmt.Errorf("attributes changed from %s to %s", FormatAttributes(previous.GetAttributes()), FormatAttributes(current.GetAttributes())))
	}
	if !proto.Equal(previous.GetDomain(), current.GetDomain()) {
		errs = append(errs, errors.New("domain changed"))
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("incompatible agent info under the 'equal' policy: %s", strings.Join(msgs, "; "))
	}
	return nil
}

func additiveInfo(previous, current *mesos.SlaveInfo) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("configuration change not permitted under the 'additive' policy: "+format, args...)
	}
	if previous.GetHostname() != current.GetHostname() {
		return refuse("hostname changed from %s to %s", previous.GetHostname(), current.GetHostname())
	}
	if previous.GetPort() != current.GetPort() {
		return refuse("port changed from %d to %d", previous.GetPort(), current.GetPort())
	}
	if previous.Domain != nil && !proto.Equal(previous.GetDomain(), current.GetDomain()) {
		return refuse("domain changed")
	}
	was, now := resources.Resources(previous.GetResources()), resources.Resources(current.GetResources())
	for _, name := range was.Names() {
		before, after := was.Get(name), now.Get(name)
		if after.IsEmpty() {
			return refuse("resource %s not found (was %s)", name, before)
		}
		if !after.Contains(before) {
			return refuse("resource %s shrank or changed from %s to %s", name, before, after)
		}
	}
	for _, a := range previous.GetAttributes() {
		var b *mesos.Attribute
		for _, x := range current.GetAttributes() {
			if x.GetName() == a.GetName() {
				b = x
				break
			}
		}
		if b == nil {
			return refuse("attribute %s not found", FormatAttributes([]*mesos.Attribute{a}))
		}
		if a.GetType() != b.GetType() {
			return refuse("type of attribute %s changed from %s to %s", a.GetName(), a.GetType(), b.GetType())
		}
		ok := true
		switch a.GetType() {
		case mesos.Value_SCALAR:
			ok = a.GetScalar().GetValue() == b.GetScalar().GetValue()
		case mesos.Value_TEXT:
			ok = a.GetText().GetValue() == b.GetText().GetValue()
		case mesos.Value_RANGES:
			ok = rangesWithin(a.GetRanges(), b.GetRanges())
		default:
			ok = proto.Equal(a, b)
		}
		if !ok {
			return refuse("value of attribute %s changed from %s to %s", a.GetName(),
				FormatAttributes([]*mesos.Attribute{a}), FormatAttributes([]*mesos.Attribute{b}))
		}
	}
	return nil
}

// sameAttributes compares attribute lists regardless of order.
func sameAttributes(a, b []*mesos.Attribute) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && proto.Equal(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// rangesWithin reports whether every range of a lies inside one of b.
func rangesWithin(a, b *mesos.Value_Ranges) bool {
	for _, r := range a.GetRange() {
		inside := false
		for _, s := range b.GetRange() {
			if s.GetBegin() <= r.GetBegin() && r.GetEnd() <= s.GetEnd() {
				inside = true
				break
			}
		}
		if !inside {
			return false
		}
	}
	return true
}

// FormatAttributes writes attributes in --attributes text.
func FormatAttributes(attrs []*mesos.Attribute) string {
	var sb strings.Builder
	for i, a := range attrs {
		if i > 0 {
			sb.WriteByte(';')
		}
		sb.WriteString(a.GetName())
		sb.WriteByte(':')
		switch a.GetType() {
		case mesos.Value_SCALAR:
			sb.WriteString(strconv.FormatFloat(a.GetScalar().GetValue(), 'g', -1, 64))
		case mesos.Value_RANGES:
			sb.WriteByte('[')
			for j, r := range a.GetRanges().GetRange() {
				if j > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, "%d-%d", r.GetBegin(), r.GetEnd())
			}
			sb.WriteByte(']')
		case mesos.Value_SET:
			sb.WriteString("{" + strings.Join(a.GetSet().GetItem(), ",") + "}")
		default:
			sb.WriteString(a.GetText().GetValue())
		}
	}
	return sb.String()
}
