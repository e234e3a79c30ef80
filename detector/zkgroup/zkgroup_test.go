package zkgroup

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		in   string
		want URL
	}{
		{"zk://127.0.0.1:2181/mesos", URL{Servers: []string{"127.0.0.1:2181"}, Path: "/mesos"}},
		{"zk://a:1,b:2,[::1]:3/mesos/dc1/", URL{Servers: []string{"a:1", "b:2", "[::1]:3"}, Path: "/mesos/dc1"}},
		{"zk://jo:s%40cret@h:2181/m", URL{Servers: []string{"h:2181"}, Path: "/m", User: "jo", Password: "s@cret"}},
	}
	for _, tc := range good {
		got, err := ParseURL(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"127.0.0.1:2181/mesos", "expected zk://"},
		{"zk://127.0.0.1:2181", "missing the znode path"},
		{"zk:///mesos", "no servers"},
		{"zk://h/mesos", "missing port"},
		{"zk://h:0/mesos", "bad port"},
		{"zk://:2181/mesos", "no host"},
		{"zk://h:2181/", "must not be the root"},
		{"zk://h:2181/a//b", "bad znode path"},
		{"zk://h:2181/a/../b", "bad znode path"},
		{"zk://jo@h:2181/m", "user:password"},
	}
	for _, tc := range bad {
		if _, err := ParseURL(tc.in); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseURL(%q) error %v, want one containing %q", tc.in, err, tc.msg)
		}
	}
	// Passwords never show in errors or String.
	if _, err := ParseURL("zk://jo:hunter2@h/m"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v shows the password", err)
	}
	u, _ := ParseURL("zk://jo:hunter2@h:1/m")
	if s := u.String(); strings.Contains(s, "hunter2") || s != "zk://jo:***@h:1/m" {
		t.Errorf("String() = %q", s)
	}
}

func TestMembersLowestSequenceFirst(t *testing.T) {
	got := Members([]string{"json.info_0000000012", "registry", "log_replicas", "info_0000000003",
		"json.info_0000000007", "other_0000000001", "json.info_12", "json.info_00000000x1"})
	var names []string
	for _, m := range got {
		names = append(names, m.Name)
	}
	want := []string{"info_0000000003", "json.info_0000000007", "json.info_0000000012"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("Members = %v, want %v", names, want)
	}
	if got[0].Label != LegacyLabel || got[1].Label != JSONLabel || got[1].Seq != 7 {
		t.Fatalf("labels/seq wrong: %+v", got)
	}
}

func masterInfo() *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id: proto.String("m1"), Ip: proto.Uint32(16777343), Port: proto.Uint32(5050),
		Pid: proto.String("master@127.0.0.1:5050"), Hostname: proto.String("localhost"),
		Address:      &mesos.Address{Hostname: proto.String("localhost"), Ip: proto.String("127.0.0.1"), Port: proto.Int32(5050)},
		Capabilities: []*mesos.MasterInfo_Capability{{Type: mesos.MasterInfo_Capability_AGENT_UPDATE.Enum()}},
	}
}

func TestMasterInfoJSONUsesMesosFieldNames(t *testing.T) {
	data, err := EncodeMasterInfo(masterInfo())
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "ip", "port", "pid", "hostname", "address", "capabilities"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON %s lacks %q", data, k)
		}
	}
	if obj["ip"] != float64(16777343) {
		t.Errorf("ip = %v, want a number", obj["ip"])
	}
	// What Mesos writes (field names as in mesos.proto) reads back.
	mesosJSON := `{"id":"m2","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050","hostname":"h","version":"1.11.0","address":{"hostname":"h","ip":"127.0.0.1","port":5050},"capabilities":[{"type":"AGENT_UPDATE"}],"unknown_future_field":1}`
	info, err := DecodeMasterInfo(JSONLabel, []byte(mesosJSON))
	if err != nil {
		t.Fatal(err)
	}
	if info.GetId() != "m2" || info.GetPid() != "master@127.0.0.1:5050" || info.GetAddress().GetPort() != 5050 {
		t.Fatalf("decoded %v", info)
	}
}

func TestDecodeLegacyAndBadData(t *testing.T) {
	bin, _ := proto.Marshal(masterInfo())
	info, err := DecodeMasterInfo(LegacyLabel, bin)
	if err != nil || !proto.Equal(info, masterInfo()) {
		t.Fatalf("legacy decode = %v, %v", info, err)
	}
	for _, tc := range []struct {
		label string
		data  string
		msg   string
	}{
		{JSONLabel, "{not json", "bad MasterInfo JSON"},
		{JSONLabel, `{"id":"x"}`, "no pid"},
		{LegacyLabel, "\xff\xff\xff", "bad MasterInfo protobuf"},
		{"weird", "{}", "unknown master znode label"},
	} {
		if _, err := DecodeMasterInfo(tc.label, []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("DecodeMasterInfo(%s, %q) error %v, want %q", tc.label, tc.data, err, tc.msg)
		}
	}
	if _, err := EncodeMasterInfo(&mesos.MasterInfo{Pid: proto.String("x")}); err == nil {
		t.Error("encoding a MasterInfo without its required fields succeeded")
	}
}
