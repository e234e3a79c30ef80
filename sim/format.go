package sim

import (
	"encoding/hex"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// TypeName is a message's short type name (StatusUpdateMessage).
func TypeName(msg proto.Message) string {
	if msg == nil {
		return "<nil>"
	}
	return string(msg.ProtoReflect().Descriptor().Name())
}

// idLabels names the ID types a summary shows, by the label it uses.
var idLabels = map[protoreflect.FullName]string{
	"mesos.FrameworkID":     "framework",
	"mesos.SlaveID":         "agent",
	"mesos.TaskID":          "task",
	"mesos.OfferID":         "offer",
	"mesos.ExecutorID":      "executor",
	"mesos.ContainerID":     "container",
	"mesos.OperationID":     "operation",
	"mesos.MasterInfo":      "", // the master's identity says nothing of the flow
	"mesos.CommandInfo":     "",
	"mesos.ContainerInfo":   "",
	"mesos.HealthCheck":     "",
	"mesos.Labels":          "",
	"mesos.KillPolicy":      "",
	"mesos.DiscoveryInfo":   "",
	"mesos.URL":             "",
	"mesos.Attribute":       "",
	"mesos.CheckStatusInfo": "",
}

var enumLabels = map[protoreflect.FullName]string{
	"mesos.TaskState":         "state",
	"mesos.TaskStatus.Reason": "reason",
	"mesos.TaskStatus.Source": "source",
}

// Summary renders a message as "Type {key fields}": the framework, agent,
// task, offer and executor IDs it carries, task states, reasons and sources,
// resources, status UUIDs (last 8 hex digits), refusal filters and error
// text. Lists of messages are shown as [{...} {...}].
func Summary(msg proto.Message) string {
	if msg == nil {
		return "<nil>"
	}
	m := msg.ProtoReflect()
	name := TypeName(msg)
	// A scheduler Call or Event says what it is in its type field.
	if fd := m.Descriptor().Fields().ByName("type"); fd != nil && fd.Kind() == protoreflect.EnumKind && m.Has(fd) {
		if ev := fd.Enum().Values().ByNumber(m.Get(fd).Enum()); ev != nil {
			name += " " + string(ev.Name())
		}
	}
	items := fields(m, 0)
	if len(items) == 0 {
		return name
	}
	return name + " {" + strings.Join(items, " ") + "}"
}

func fields(m protoreflect.Message, depth int) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	fds := m.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		switch {
		case fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == "mesos.Resource":
			if fd.IsList() {
				add("res=" + compactResources(v.List()))
			}
		case fd.Kind() == protoreflect.MessageKind:
			full := fd.Message().FullName()
			label, known := idLabels[full]
			if known && label == "" {
				continue
			}
			if fd.IsMap() {
				continue
			}
			if known {
				if fd.IsList() {
					ids := make([]string, v.List().Len())
					for j := range ids {
						ids[j] = idValue(v.List().Get(j).Message())
					}
					add(label + "s=[" + strings.Join(ids, " ") + "]")
				} else {
					add(label + "=" + idValue(v.Message()))
				}
				continue
			}
			if depth >= 4 {
				continue
			}
			if fd.IsList() {
				l := v.List()
				parts := make([]string, 0, l.Len())
				for j := 0; j < l.Len(); j++ {
					if sub := fields(l.Get(j).Message(), depth+1); len(sub) > 0 {
						parts = append(parts, "{"+strings.Join(sub, " ")+"}")
					}
				}
				if len(parts) > 0 {
					add(string(fd.Name()) + "=[" + strings.Join(parts, " ") + "]")
				}
				continue
			}
			for _, s := range fields(v.Message(), depth+1) {
				add(s)
			}
		case fd.Kind() == protoreflect.EnumKind && !fd.IsList():
			if label, ok := enumLabels[fd.Enum().FullName()]; ok {
				if fd.Name() == "latest_state" {
					label = "latest" // a retried update says the task's newest state
				}
				ev := fd.Enum().Values().ByNumber(v.Enum())
				name := strconv.Itoa(int(v.Enum()))
				if ev != nil {
					name = string(ev.Name())
				}
				add(label + "=" + name)
			}
		case fd.Name() == "uuid" && fd.Kind() == protoreflect.BytesKind:
			b := v.Bytes()
			if len(b) > 4 {
				b = b[len(b)-4:] // the sequential generators count here
			}
			add("uuid=" + hex.EncodeToString(b))
		case fd.Name() == "refuse_seconds":
			add("refuse=" + strconv.FormatFloat(v.Float(), 'g', -1, 64) + "s")
		case fd.Name() == "message" && fd.Kind() == protoreflect.StringKind:
			add("message=" + strconv.Quote(v.String()))
		}
	}
	return out
}

func idValue(m protoreflect.Message) string {
	fd := m.Descriptor().Fields().ByName("value")
	if fd == nil {
		return "?"
	}
	return m.Get(fd).String()
}

func compactResources(l protoreflect.List) string {
	r := make(resources.Resources, 0, l.Len())
	for j := 0; j < l.Len(); j++ {
		if x, ok := l.Get(j).Message().Interface().(*mesos.Resource); ok {
			r = append(r, x)
		}
	}
	// Every allocation is to role "*" so far; leave it out of the lines.
	return strings.ReplaceAll(r.Unallocate().String(), "; ", ";")
}
