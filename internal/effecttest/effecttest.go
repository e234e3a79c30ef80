// Package effecttest compares the effects of pure cores in table tests:
// values of the same type with equal fields, protobuf messages (also
// inside structs and slices) compared with proto.Equal.
package effecttest

import (
	"fmt"
	"reflect"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
)

var protoMessage = reflect.TypeFor[proto.Message]()

// Equal reports whether two effect lists are the same.
func Equal(got, want []effect.Effect) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !equal(reflect.ValueOf(got[i]), reflect.ValueOf(want[i])) {
			return false
		}
	}
	return true
}

func equal(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type().Implements(protoMessage) {
		if a.Kind() == reflect.Interface && (a.IsNil() || b.IsNil()) {
			return a.IsNil() == b.IsNil()
		}
		return proto.Equal(a.Interface().(proto.Message), b.Interface().(proto.Message))
	}
	switch a.Kind() {
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	}
	if a.CanInterface() {
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// Format lists effects one a line, for failure messages.
func Format(effects []effect.Effect) string {
	var b strings.Builder
	for _, e := range effects {
		switch e := e.(type) {
		case effect.Send:
			fmt.Fprintf(&b, "\n  send to %s: %T %v", e.To, e.Msg, e.Msg)
		default:
			fmt.Fprintf(&b, "\n  %T %+v", e, e)
		}
	}
	if b.Len() == 0 {
		return " (none)"
	}
	return b.String()
}
