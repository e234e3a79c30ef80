// Package resources implements Mesos' resource arithmetic over the
// protobuf type mesos.Resource: parsing the "--resources" text and JSON
// forms, validation, addition, subtraction, containment, filtering by
// reservation and allocation, and the text and JSON renderings Mesos uses
// in logs and in its /state endpoint.
//
// The package is pure: no I/O, no clocks, no goroutines. The master, the
// allocator, the agent and the command-line tools share it.
//
// # Model
//
// A Resources value is a list of *mesos.Resource kept in normal form:
// entries that Mesos would combine are merged and empty entries are
// dropped. Two entries combine when they agree on name, type, the stack of
// reservations, disk info (ignoring the volume), revocability,
// shareability, resource provider and allocation info. Scalars add and
// subtract in Mesos' fixed-point arithmetic (three decimal places, see
// Round); ranges and sets add by union and subtract by difference. Shared
// resources (persistent volumes marked shared) never merge: every copy is
// its own entry, so the number of equal entries is the share count.
//
// Subtraction removes what it can: subtracting more than is present leaves
// nothing of that kind, as Mesos does. Contains(o) holds exactly when o
// could be subtracted without running out.
//
// Reservations are read from the "post-reservation-refinement" field
// reservations; a resource that only carries the deprecated role (and
// reservation) fields is understood as Mesos' upgrade of it would be, so
// resources from legacy frameworks compare correctly without conversion.
//
// # Sharing
//
// Operations return new values and never modify their operands, but to
// stay cheap on the allocator's hot path they share unchanged entries
// (and the sub-messages of changed ones) with their operands. Treat the
// *mesos.Resource entries of a Resources as read-only; call Clone before
// modifying them. New and Parse return entries owned by the result.
package resources
