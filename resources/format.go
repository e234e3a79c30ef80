package resources

import (
	"fmt"
	"strings"

	"github.com/gomesos/gomesos/messages/mesos"
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("resources: "+format, args...)
}

// String renders r the way Mesos logs resources: entries separated by
// "; ", each "name(allocated: role)(reservations: [...])[disk]{REV}<SHARED>:value",
// with the decorations only when present, e.g.
// "cpus:1; mem:128; ports:[31000-32000]". Empty resources render as "{}".
func (r Resources) String() string {
	a := norm(r)
	if len(a) == 0 {
		return "{}"
	}
	var sb strings.Builder
	for i, x := range a {
		if i > 0 {
			sb.WriteString("; ")
		}
		writeResource(&sb, x)
	}
	return sb.String()
}

// Format renders one resource as String does. It tolerates malformed
// input, which makes it suitable for error messages.
func Format(x *mesos.Resource) string { return formatResource(x) }

func formatResource(x *mesos.Resource) string {
	if x == nil {
		return "<nil>"
	}
	var sb strings.Builder
	writeResource(&sb, x)
	return sb.String()
}

func writeResource(sb *strings.Builder, x *mesos.Resource) {
	sb.WriteString(x.GetName())
	if x.AllocationInfo != nil {
		sb.WriteString("(allocated: ")
		sb.WriteString(x.AllocationInfo.GetRole())
		sb.WriteString(")")
	}
	if n := stackLen(x); n > 0 {
		sb.WriteString("(reservations: [")
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			lv := stackAt(x, i)
			sb.WriteByte('(')
			sb.WriteString(lv.typ.String())
			sb.WriteByte(',')
			sb.WriteString(lv.role)
			if lv.principal != nil {
				sb.WriteByte(',')
				sb.WriteString(*lv.principal)
			}
			if lv.labels != nil {
				sb.WriteByte(',')
				writeLabels(sb, lv.labels)
			}
			sb.WriteByte(')')
		}
		sb.WriteString("])")
	}
	if d := x.Disk; d != nil {
		sb.WriteByte('[')
		writeDisk(sb, d)
		sb.WriteByte(']')
	}
	if x.Revocable != nil {
		sb.WriteString("{REV}")
	}
	if x.Shared != nil {
		sb.WriteString("<SHARED>")
	}
	sb.WriteByte(':')
	switch {
	case x.Type == nil:
		sb.WriteString("<no type>")
	case *x.Type == mesos.Value_SCALAR:
		if x.Scalar == nil {
			sb.WriteString("<no scalar>")
		} else {
			sb.WriteString(formatScalar(x.Scalar.GetValue()))
		}
	case *x.Type == mesos.Value_RANGES:
		sb.WriteString(formatRanges(x.GetRanges().GetRange()))
	case *x.Type == mesos.Value_SET:
		sb.WriteString(formatSet(x.GetSet().GetItem()))
	default:
		sb.WriteString("<" + x.Type.String() + ">")
	}
}

func writeLabels(sb *strings.Builder, l *mesos.Labels) {
	sb.WriteByte('{')
	for i, lb := range l.GetLabels() {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(lb.GetKey())
		if lb.Value != nil {
			sb.WriteString(": ")
			sb.WriteString(*lb.Value)
		}
	}
	sb.WriteByte('}')
}

func writeDisk(sb *strings.Builder, d *mesos.Resource_DiskInfo) {
	if src := d.Source; src != nil {
		csi := ""
		if src.Id != nil || src.Profile != nil {
			csi = "(" + src.GetVendor() + "," + src.GetId() + "," + src.GetProfile() + ")"
		}
		switch src.GetType() {
		case mesos.Resource_DiskInfo_Source_MOUNT:
			sb.WriteString("MOUNT")
			if csi != "" {
				sb.WriteString(csi)
			} else if src.Mount != nil && src.Mount.Root != nil {
				sb.WriteString(":" + *src.Mount.Root)
			}
		case mesos.Resource_DiskInfo_Source_PATH:
			sb.WriteString("PATH")
			if csi != "" {
				sb.WriteString(csi)
			} else if src.Path != nil && src.Path.Root != nil {
				sb.WriteString(":" + *src.Path.Root)
			}
		case mesos.Resource_DiskInfo_Source_BLOCK:
			sb.WriteString("BLOCK" + csi)
		case mesos.Resource_DiskInfo_Source_RAW:
			sb.WriteString("RAW" + csi)
		default:
			sb.WriteString("UNKNOWN")
		}
	}
	if p := d.Persistence; p != nil {
		if d.Source != nil {
			sb.WriteByte(',')
		}
		sb.WriteString(p.GetId())
	}
	if v := d.Volume; v != nil {
		sb.WriteByte(':')
		cfg := v.GetContainerPath()
		if v.HostPath != nil {
			cfg = *v.HostPath + ":" + cfg
			if v.Mode != nil {
				switch *v.Mode {
				case mesos.Volume_RW:
					cfg += ":rw"
				case mesos.Volume_RO:
					cfg += ":ro"
				}
			}
		}
		sb.WriteString(cfg)
	}
}

// JSON returns r in the shape of the resource objects of Mesos' /state
// and /slaves endpoints: "cpus", "mem", "disk" and "gpus" are always
// present (0 when absent); every scalar is a float64, every ranges value a
// string such as "[31000-31999, 32001-33000]" and every set a string such
// as "{a, b}". Revocable resources appear under "<name>_revocable".
func (r Resources) JSON() map[string]any {
	out := map[string]any{"cpus": 0.0, "mem": 0.0, "disk": 0.0, "gpus": 0.0}
	a := norm(r)
	type key struct {
		name      string
		revocable bool
	}
	types := map[key]mesos.Value_Type{}
	var order []key
	for _, x := range a {
		k := key{x.GetName(), x.Revocable != nil}
		if _, ok := types[k]; !ok {
			order = append(order, k)
		}
		types[k] = x.GetType() // the last one wins, as in Mesos
	}
	for _, k := range order {
		part := a.Filter(func(x *mesos.Resource) bool {
			return x.GetName() == k.name && (x.Revocable != nil) == k.revocable
		})
		field := k.name
		if k.revocable {
			field += "_revocable"
		}
		switch types[k] {
		case mesos.Value_SCALAR:
			out[field] = part.Scalar(k.name)
		case mesos.Value_RANGES:
			out[field] = formatRanges(part.Ranges(k.name))
		case mesos.Value_SET:
			out[field] = formatSet(part.Set(k.name))
		}
	}
	return out
}
