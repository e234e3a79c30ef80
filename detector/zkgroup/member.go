package zkgroup

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Labels of master znodes: json.info_ holds MasterInfo as JSON (what
// masters write), info_ the older binary protobuf form (still read).
const (
	JSONLabel   = "json.info"
	LegacyLabel = "info"
)

// Member is one master znode of the group.
type Member struct {
	Name  string // json.info_0000000003
	Label string // JSONLabel or LegacyLabel
	Seq   int64
}

// ParseMember reads a child name as label_sequence; ok is false for
// children that are not master znodes (registry, log_replicas, ...).
func ParseMember(name string) (Member, bool) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return Member{}, false
	}
	label, digits := name[:i], name[i+1:]
	if label != JSONLabel && label != LegacyLabel {
		return Member{}, false
	}
	if len(digits) != 10 {
		return Member{}, false
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq < 0 {
		return Member{}, false
	}
	return Member{Name: name, Label: label, Seq: seq}, true
}

// Members picks the master znodes out of a group's children, lowest
// sequence (the leader) first.
func Members(children []string) []Member {
	var ms []Member
	for _, c := range children {
		if m, ok := ParseMember(c); ok {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Seq != ms[j].Seq {
			return ms[i].Seq < ms[j].Seq
		}
		return ms[i].Name < ms[j].Name
	})
	return ms
}

// EncodeMasterInfo is the data of a json.info_ znode: MasterInfo as JSON
// with Mesos' (protobuf) field names.
func EncodeMasterInfo(info *mesos.MasterInfo) ([]byte, error) {
	if info == nil {
		return nil, fmt.Errorf("no MasterInfo to publish")
	}
	return protojson.MarshalOptions{UseProtoNames: true}.Marshal(info)
}

// DecodeMasterInfo reads a master znode's data by its label.
func DecodeMasterInfo(label string, data []byte) (*mesos.MasterInfo, error) {
	info := &mesos.MasterInfo{}
	switch label {
	case JSONLabel:
		opts := protojson.UnmarshalOptions{DiscardUnknown: true, AllowPartial: true}
		if err := opts.Unmarshal(data, info); err != nil {
			return nil, fmt.Errorf("%s znode: bad MasterInfo JSON: %v", label, err)
		}
	case LegacyLabel:
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(data, info); err != nil {
			return nil, fmt.Errorf("%s znode: bad MasterInfo protobuf: %v", label, err)
		}
	default:
		return nil, fmt.Errorf("unknown master znode label %q", label)
	}
	if info.GetPid() == "" {
		return nil, fmt.Errorf("%s znode: MasterInfo has no pid", label)
	}
	return info, nil
}
