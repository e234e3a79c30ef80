package master

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

func TestValidateID(t *testing.T) {
	tests := map[string]string{
		"ok":                      "",
		"a.b-c_d":                 "",
		"":                        "ID must not be empty",
		".":                       "'.' is disallowed",
		"..":                      "'..' is disallowed",
		"a/b":                     "contains invalid characters",
		"a\\b":                    "contains invalid characters",
		"a\nb":                    "contains invalid characters",
		strings.Repeat("x", 256):  "must not be greater than 255",
		strings.Repeat("x", 255):  "",
		"with space is fine here": "",
	}
	for id, want := range tests {
		err := ValidateID(id)
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ValidateID(%q) = %v, want %q", id, err, want)
		}
	}
}

func TestValidateRole(t *testing.T) {
	tests := map[string]string{
		"*":       "",
		"web":     "",
		"eng/web": "",
		"":        "cannot be the empty string",
		"/web":    "cannot start with a slash",
		"web/":    "cannot end with a slash",
		"a//b":    "two adjacent slashes",
		"a/./b":   "cannot include '.'",
		"a/../b":  "cannot include '..'",
		"a/*":     "cannot include '*'",
		"-a":      "starts with a dash",
		"a b":     "backspace or whitespace",
		"a\x7f":   "backspace or whitespace",
	}
	for role, want := range tests {
		err := protocol.ValidateRole(role)
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("protocol.ValidateRole(%q) = %v, want %q", role, err, want)
		}
	}
}

func TestValidateOffers(t *testing.T) {
	offers := map[string]offerView{
		"o1": {"f1", "a1", "*"},
		"o2": {"f1", "a1", "*"},
		"o3": {"f1", "a2", "*"},
		"o4": {"f2", "a1", "*"},
		"o5": {"f1", "a1", "web"},
	}
	lookup := func(id string) (offerView, bool) { v, ok := offers[id]; return v, ok }
	oid := func(ids ...string) []*mesos.OfferID {
		var out []*mesos.OfferID
		for _, id := range ids {
			out = append(out, &mesos.OfferID{Value: proto.String(id)})
		}
		return out
	}
	tests := []struct {
		ids  []*mesos.OfferID
		want string
	}{
		{oid("o1"), ""},
		{oid("o1", "o2"), ""},
		{nil, "No offers specified"},
		{oid("o1", "o1"), "Duplicate offer o1 in offer list"},
		{oid("o1", "zz"), "Offer zz is no longer valid"},
		{oid("o4"), "Offer o4 has invalid framework f2 while framework f1 is expected"},
		{oid("o1", "o5"), "Aggregated offers must be allocated to the same role"},
		{oid("o1", "o3"), "Aggregated offers must belong to one single agent"},
	}
	for _, tc := range tests {
		err := validateOffers(tc.ids, "f1", lookup)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("validateOffers(%v) = %v, want %q", tc.ids, err, tc.want)
		}
	}
}

func TestValidateTask(t *testing.T) {
	avail := resources.MustParse("cpus:2;mem:1024").Allocate("*")
	base := func() *mesos.TaskInfo {
		return &mesos.TaskInfo{
			Name:      proto.String("t"),
			TaskId:    &mesos.TaskID{Value: proto.String("t")},
			SlaveId:   slaveID("a1"),
			Resources: resources.MustParse("cpus:1;mem:128").Allocate("*"),
			Command:   &mesos.CommandInfo{Value: proto.String("true")},
		}
	}
	f := newFramework("f1", &mesos.FrameworkInfo{}, 10, 10)
	f.tasks["running"] = &mesos.Task{TaskId: &mesos.TaskID{Value: proto.String("running")}}
	f.unreachableTasks.add(&mesos.Task{TaskId: &mesos.TaskID{Value: proto.String("away")}})
	ctx := taskContext{f: f, a: newAgent("a1", &mesos.SlaveInfo{}, actors.PID{})}
	exec := func() *mesos.ExecutorInfo {
		return &mesos.ExecutorInfo{
			ExecutorId:  &mesos.ExecutorID{Value: proto.String("e")},
			FrameworkId: frameworkID("f1"),
			Command:     &mesos.CommandInfo{Value: proto.String("x")},
			Resources:   resources.MustParse("cpus:1;mem:32").Allocate("*"),
		}
	}
	tests := []struct {
		name   string
		change func(t *mesos.TaskInfo)
		want   string
	}{
		{"valid", func(*mesos.TaskInfo) {}, ""},
		{"duplicate", func(t *mesos.TaskInfo) { t.TaskId.Value = proto.String("running") }, "Task has duplicate ID: running"},
		{"unreachable id", func(t *mesos.TaskInfo) { t.TaskId.Value = proto.String("away") }, "reuses the ID of an unreachable task"},
		{"bad id", func(t *mesos.TaskInfo) { t.TaskId.Value = proto.String("..") }, "Task has an invalid TaskID"},
		{"kill policy", func(t *mesos.TaskInfo) {
			t.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(-1)}}
		}, "kill_policy.grace_period' must be non-negative"},
		{"no allocation role", func(t *mesos.TaskInfo) { t.Resources = resources.MustParse("cpus:1") }, "The resources are not allocated to a role"},
		{"invalid resource", func(t *mesos.TaskInfo) {
			t.Resources = []*mesos.Resource{{Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum()}}
		}, "Task uses invalid resources"},
		{"env", func(t *mesos.TaskInfo) {
			t.Command.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{{Name: proto.String("A")}}}
		}, "Task's `CommandInfo` is invalid"},
		{"executor fits", func(t *mesos.TaskInfo) { t.Command, t.Executor = nil, exec() }, ""},
		{"executor too big", func(t *mesos.TaskInfo) {
			t.Command, t.Executor = nil, exec()
			t.Resources = resources.MustParse("cpus:1.5;mem:128").Allocate("*")
		}, "required by task and its executor is more than available"},
		{"executor without command", func(t *mesos.TaskInfo) {
			t.Command, t.Executor = nil, exec()
			t.Executor.Command = nil
		}, "'ExecutorInfo.command' must be set"},
		{"executor of another framework", func(t *mesos.TaskInfo) {
			t.Command, t.Executor = nil, exec()
			t.Executor.FrameworkId = frameworkID("f2")
		}, "ExecutorInfo has an invalid FrameworkID (Actual: f2 vs Expected: f1)"},
		{"default executor", func(t *mesos.TaskInfo) {
			t.Command, t.Executor = nil, exec()
			t.Executor.Type = mesos.ExecutorInfo_DEFAULT.Enum()
		}, "'ExecutorInfo.command' must not be set for 'DEFAULT' executor"},
		{"command task too big", func(t *mesos.TaskInfo) {
			t.Resources = resources.MustParse("cpus:100;mem:128").Allocate("*")
		}, "required by task and its executor is more than available"},
		{"limits need the capability", func(t *mesos.TaskInfo) {
			t.Limits = map[string]*mesos.Value_Scalar{"cpus": {Value: proto.Float64(2)}}
		}, "Agent is not capable of handling task resource limits"},
	}
	for _, tc := range tests {
		task := base()
		tc.change(task)
		err := validateTask(task, ctx, avail, nil)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		// What is left, when validateTask computes it, is what launchTask's
		// Subtract would leave, entry for entry.
		var rest restOf
		if err2 := validateTask(task, ctx, avail, &rest); fmt.Sprint(err2) != fmt.Sprint(err) {
			t.Errorf("%s: with rest: %v, without: %v", tc.name, err2, err)
		}
		if want := avail.Subtract(task.GetResources()); rest.set {
			if err != nil || len(rest.left) != len(want) {
				t.Errorf("%s: rest %s, want %s", tc.name, rest.left, want)
			} else {
				for i := range want {
					if !proto.Equal(rest.left[i], want[i]) {
						t.Errorf("%s: rest %s, want %s", tc.name, rest.left, want)
					}
				}
			}
		} else if err == nil && task.Executor == nil {
			t.Errorf("%s: a command task's rest was not computed", tc.name)
		}
	}
}
