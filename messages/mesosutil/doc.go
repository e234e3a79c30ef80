// Package mesosutil provides the constructor helpers of mesos-go's v0
// api/v0/mesosutil package (NewTaskInfo, NewScalarResource, NewOffer,
// NewReserveOperation, ...) with the same names and signatures, built on
// gomesos' protobuf types in package mesos.
//
// A legacy Go framework written against mesos-go v0 ports by changing its
// import paths: "github.com/mesos/mesos-go/api/v0/mesosutil" becomes
// "github.com/gomesos/gomesos/messages/mesosutil" and
// "github.com/mesos/mesos-go/api/v0/mesosproto" becomes
// "github.com/gomesos/gomesos/messages/mesos". The one type that moved is
// StatusUpdate, which lives with the other internal messages in package
// mesosinternal, as it does in Mesos (mesos.internal.StatusUpdate).
//
// Resources made here are in the format legacy frameworks use: reserved
// resources carry the deprecated role and reservation fields. Package
// resources understands that format directly.
package mesosutil
