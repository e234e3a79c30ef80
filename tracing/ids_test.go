package tracing

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/mesosutil"
	sched "github.com/gomesos/gomesos/messages/scheduler"
)

func offer(id, fw, agent string, execs ...string) *mesos.Offer {
	o := &mesos.Offer{
		Id:          mesosutil.NewOfferID(id),
		FrameworkId: mesosutil.NewFrameworkID(fw),
		SlaveId:     mesosutil.NewSlaveID(agent),
		Hostname:    proto.String("h"),
		Resources:   []*mesos.Resource{mesosutil.NewScalarResource("cpus", 1)},
	}
	for _, e := range execs {
		o.ExecutorIds = append(o.ExecutorIds, mesosutil.NewExecutorID(e))
	}
	return o
}

func TestExtract(t *testing.T) {
	task := func(id, agent, exec string) *mesos.TaskInfo {
		ti := &mesos.TaskInfo{Name: proto.String(id), TaskId: mesosutil.NewTaskID(id), SlaveId: mesosutil.NewSlaveID(agent)}
		if exec != "" {
			ti.Executor = &mesos.ExecutorInfo{ExecutorId: mesosutil.NewExecutorID(exec), FrameworkId: mesosutil.NewFrameworkID("fw1")}
		} else {
			ti.Command = mesosutil.NewCommandInfo("true")
		}
		return ti
	}
	for _, tc := range []struct {
		name    string
		msg     proto.Message
		ids     IDs
		states  []string
		subtype string
	}{
		{
			name: "repeated offers, nested repeated executor ids, duplicates once",
			msg: &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{
				offer("o1", "fw1", "a1", "e1"), offer("o2", "fw1", "a2", "e1", "e2"),
			}},
			ids: IDs{Framework: []string{"fw1"}, Agent: []string{"a1", "a2"}, Executor: []string{"e1", "e2"}, Offer: []string{"o1", "o2"}},
		},
		{
			name: "scheduler Call ACCEPT: offer ids and tasks inside operations",
			msg: &sched.Call{
				FrameworkId: mesosutil.NewFrameworkID("fw1"),
				Type:        sched.Call_ACCEPT.Enum(),
				Accept: &sched.Call_Accept{
					OfferIds: []*mesos.OfferID{mesosutil.NewOfferID("o1"), mesosutil.NewOfferID("o2")},
					Operations: []*mesos.Offer_Operation{{
						Type:   mesos.Offer_Operation_LAUNCH.Enum(),
						Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{task("t1", "a1", ""), task("t2", "a1", "e9")}},
					}},
				},
			},
			ids:     IDs{Framework: []string{"fw1"}, Agent: []string{"a1"}, Executor: []string{"e9"}, Task: []string{"t1", "t2"}, Offer: []string{"o1", "o2"}},
			subtype: "ACCEPT",
		},
		{
			name: "status update: state and all ids",
			msg: &mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{
				FrameworkId: mesosutil.NewFrameworkID("fw1"),
				ExecutorId:  mesosutil.NewExecutorID("t1"),
				SlaveId:     mesosutil.NewSlaveID("a1"),
				Status:      mesosutil.NewTaskStatus(mesosutil.NewTaskID("t1"), mesos.TaskState_TASK_RUNNING),
				Timestamp:   proto.Float64(1),
				LatestState: mesos.TaskState_TASK_FINISHED.Enum(),
			}},
			ids:    IDs{Framework: []string{"fw1"}, Agent: []string{"a1"}, Executor: []string{"t1"}, Task: []string{"t1"}},
			states: []string{"TASK_RUNNING"},
		},
		{
			name: "no identifiers",
			msg:  &mesosinternal.PongSlaveMessage{},
		},
		{
			name: "not a Mesos message",
			msg:  wrapperspb.String("x"),
		},
		{
			name: "empty id values are skipped",
			msg:  &mesosinternal.RegisterExecutorMessage{FrameworkId: mesosutil.NewFrameworkID(""), ExecutorId: mesosutil.NewExecutorID("e1")},
			ids:  IDs{Executor: []string{"e1"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, states, subtype := Extract(tc.msg)
			if !reflect.DeepEqual(ids, tc.ids) || !reflect.DeepEqual(states, tc.states) || subtype != tc.subtype {
				t.Fatalf("got %+v %v %q\nwant %+v %v %q", ids, states, subtype, tc.ids, tc.states, tc.subtype)
			}
			// The second call uses the cached plan.
			ids2, _, _ := Extract(tc.msg)
			if !reflect.DeepEqual(ids, ids2) {
				t.Fatalf("cached plan differs: %+v", ids2)
			}
		})
	}
}

// A type unknown to this package (a recursive one, with a map and an
// AgentID) is searched all the same.
func TestExtractDynamic(t *testing.T) {
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("dyn/test.proto"),
		Package: proto.String("dyn"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("AgentID"), Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("value"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
			}},
			{Name: proto.String("Node"), Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("agent"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".dyn.AgentID"), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
				{Name: proto.String("children"), Number: proto.Int32(2), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".dyn.Node"), Label: descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()},
				{Name: proto.String("named"), Number: proto.Int32(3), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".dyn.Node.NamedEntry"), Label: descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()},
			}, NestedType: []*descriptorpb.DescriptorProto{{
				Name:    proto.String("NamedEntry"),
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: proto.String("key"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String("key")},
					{Name: proto.String("value"), Number: proto.Int32(2), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".dyn.Node"), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String("value")},
				},
			}}},
		},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	nodeD, agentD := fd.Messages().ByName("Node"), fd.Messages().ByName("AgentID")
	newNode := func(agent string) *dynamicpb.Message {
		n := dynamicpb.NewMessage(nodeD)
		a := dynamicpb.NewMessage(agentD)
		a.Set(agentD.Fields().ByName("value"), protoreflectString(agent))
		n.Set(nodeD.Fields().ByName("agent"), protoreflectMessage(a))
		return n
	}
	root := newNode("root")
	kids := root.Mutable(nodeD.Fields().ByName("children")).List()
	for i := 0; i < 3; i++ {
		kid := newNode(fmt.Sprintf("kid%d", i))
		grand := kid.Mutable(nodeD.Fields().ByName("children")).List()
		grand.Append(protoreflectMessage(newNode("grand")))
		kids.Append(protoreflectMessage(kid))
	}
	named := root.Mutable(nodeD.Fields().ByName("named")).Map()
	named.Set(protoreflectString("x").MapKey(), protoreflectMessage(newNode("mapped")))
	ids, _, _ := Extract(root)
	want := []string{"root", "kid0", "grand", "kid1", "kid2", "mapped"}
	if !reflect.DeepEqual(ids.Agent, want) {
		t.Fatalf("agents %v, want %v", ids.Agent, want)
	}
}

// Many identifiers switch deduplication to a set; the order stays.
func TestExtractManyOffers(t *testing.T) {
	m := &mesosinternal.ResourceOffersMessage{}
	var want []string
	for i := 0; i < 200; i++ {
		id := fmt.Sprintf("o%d", i)
		want = append(want, id)
		m.Offers = append(m.Offers, offer(id, "fw1", fmt.Sprintf("a%d", i%7)))
	}
	ids, _, _ := Extract(m)
	if !reflect.DeepEqual(ids.Offer, want) || len(ids.Agent) != 7 || len(ids.Framework) != 1 {
		t.Fatalf("got %d offers, agents %v, frameworks %v", len(ids.Offer), ids.Agent, ids.Framework)
	}
}

func BenchmarkExtract(b *testing.B) {
	msg := &mesosinternal.RunTaskMessage{
		Framework: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("f"), Id: mesosutil.NewFrameworkID("fw1")},
		Task: &mesos.TaskInfo{Name: proto.String("t"), TaskId: mesosutil.NewTaskID("t1"), SlaveId: mesosutil.NewSlaveID("a1"),
			Resources: []*mesos.Resource{mesosutil.NewScalarResource("cpus", 1), mesosutil.NewScalarResource("mem", 64)},
			Command:   mesosutil.NewCommandInfo("sleep 1")},
		Pid: proto.String("scheduler@127.0.0.1:1"),
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var f found // what Trace does
		extract(msg, &f)
	}
}

func protoreflectString(s string) protoreflect.Value { return protoreflect.ValueOfString(s) }

func protoreflectMessage(m *dynamicpb.Message) protoreflect.Value {
	return protoreflect.ValueOfMessage(m)
}

func BenchmarkExtractStatusUpdate(b *testing.B) {
	msg := statusUpdate("t1", mesos.TaskState_TASK_RUNNING)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var f found // what Trace does
		extract(msg, &f)
	}
}

// The compiled fast path finds what the reflective walk finds, on every
// message of the launch scenario and of TestExtract.
func TestFastMatchesReflection(t *testing.T) {
	msgs := []proto.Message{
		&mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o1", "fw1", "a1", "e1"), nil, offer("o2", "fw2", "a2")}},
		&sched.Call{Type: sched.Call_ACCEPT.Enum(), Accept: &sched.Call_Accept{
			OfferIds:   []*mesos.OfferID{mesosutil.NewOfferID("o1"), {}},
			Operations: []*mesos.Offer_Operation{mesosutil.NewLaunchOperation([]*mesos.TaskInfo{{TaskId: mesosutil.NewTaskID("t1"), SlaveId: mesosutil.NewSlaveID("a1")}})},
		}},
		&sched.Call{}, // no type, nothing set
		&mesosinternal.RegisterExecutorMessage{ExecutorId: mesosutil.NewExecutorID("e")},
	}
	for _, e := range launchScenario().events {
		msgs = append(msgs, e.ev.Msg)
	}
	compiled := 0
	for _, m := range msgs {
		var fast, slow found
		extract(m, &fast)
		tp := planFor(m.ProtoReflect().Descriptor(), m)
		if tp.fast != nil {
			compiled++
		}
		tp.extractSlow(m.ProtoReflect(), &slow)
		if !reflect.DeepEqual(idsOf(fast.refs), idsOf(slow.refs)) || !reflect.DeepEqual(fast.states, slow.states) || fast.subtype != slow.subtype {
			t.Errorf("%T: fast %+v %v %q, reflection %+v %v %q", m, idsOf(fast.refs), fast.states, fast.subtype,
				idsOf(slow.refs), slow.states, slow.subtype)
		}
	}
	if compiled != len(msgs) {
		t.Errorf("the fast path compiled for %d of %d messages", compiled, len(msgs))
	}
	// Dynamic messages take the reflective walk (TestExtractDynamic).
}
