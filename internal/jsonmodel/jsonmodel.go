// Package jsonmodel renders Mesos objects as Mesos' endpoints show them
// (what Mesos keeps in common/http.cpp): tasks with their statuses,
// attributes as {name: value}, labels, and any message as protobuf JSON
// with Mesos' field names. The master's and the agent's /state share it.
package jsonmodel

import (
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Object is a JSON object.
type Object = map[string]any

// Proto renders m as protobuf JSON with proto field names, decoded into
// plain values; a nil or unrenderable message is {}.
func Proto(m proto.Message) any {
	if m == nil || !m.ProtoReflect().IsValid() {
		return Object{}
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return Object{}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return Object{}
	}
	return v
}

// Attributes renders attributes as {name: value}: scalars as numbers,
// ranges as "[a-b, c-d]", sets as "{a, b}", text as is.
func Attributes(attrs []*mesos.Attribute) Object {
	out := Object{}
	for _, a := range attrs {
		switch a.GetType() {
		case mesos.Value_SCALAR:
			out[a.GetName()] = a.GetScalar().GetValue()
		case mesos.Value_RANGES:
			var parts []string
			for _, r := range a.GetRanges().GetRange() {
				parts = append(parts, fmt.Sprintf("%d-%d", r.GetBegin(), r.GetEnd()))
			}
			out[a.GetName()] = "[" + strings.Join(parts, ", ") + "]"
		case mesos.Value_SET:
			out[a.GetName()] = "{" + strings.Join(a.GetSet().GetItem(), ", ") + "}"
		default:
			out[a.GetName()] = a.GetText().GetValue()
		}
	}
	return out
}

// Labels renders labels as a list of {key, value}.
func Labels(l *mesos.Labels) []any {
	out := []any{}
	for _, x := range l.GetLabels() {
		out = append(out, Proto(x))
	}
	return out
}

// TaskStatus renders one entry of a task's "statuses".
func TaskStatus(s *mesos.TaskStatus) Object {
	if s == nil {
		return Object{}
	}
	out := Object{"state": s.GetState().String(), "timestamp": s.GetTimestamp()}
	if s.Labels != nil {
		out["labels"] = Labels(s.GetLabels())
	}
	if s.ContainerStatus != nil {
		out["container_status"] = Proto(s.GetContainerStatus())
	}
	if s.Healthy != nil {
		out["healthy"] = s.GetHealthy()
	}
	return out
}

// Task renders a task as Mesos' /state lists it.
func Task(t *mesos.Task) Object {
	statuses := []any{}
	for _, s := range t.GetStatuses() {
		statuses = append(statuses, TaskStatus(s))
	}
	role := ""
	if rs := t.GetResources(); len(rs) > 0 {
		role = rs[0].GetAllocationInfo().GetRole()
	}
	out := Object{
		"id":           t.GetTaskId().GetValue(),
		"name":         t.GetName(),
		"framework_id": t.GetFrameworkId().GetValue(),
		"executor_id":  t.GetExecutorId().GetValue(),
		"slave_id":     t.GetSlaveId().GetValue(),
		"state":        t.GetState().String(),
		"resources":    resources.Resources(t.GetResources()).JSON(),
		"role":         role,
		"statuses":     statuses,
	}
	if len(t.GetLimits()) > 0 {
		limits := Object{}
		for k, v := range t.GetLimits() {
			limits[k] = v.GetValue()
		}
		out["limits"] = limits
	}
	if t.User != nil {
		out["user"] = t.GetUser()
	}
	if t.Labels != nil {
		out["labels"] = Labels(t.GetLabels())
	}
	if t.Discovery != nil {
		out["discovery"] = Proto(t.GetDiscovery())
	}
	if t.Container != nil {
		out["container"] = Proto(t.GetContainer())
	}
	if t.HealthCheck != nil {
		out["health_check"] = Proto(t.GetHealthCheck())
	}
	return out
}
