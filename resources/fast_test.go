package resources

import (
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// scalarValues are values at and around every boundary the scalar
// predicates have, and random ones.
func scalarValues(rng *rand.Rand) []float64 {
	vs := []float64{0, math.Copysign(0, -1), 0.0005, 0.0004999999999999999, 0.0005000000000000001,
		0.001, 0.1, 1, 9.2e15, 9.1999999999999e15, 9.2000000000001e15, 1e300, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN()}
	for _, v := range vs[:len(vs)-3] {
		vs = append(vs, -v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
	}
	for range 200000 {
		v := math.Float64frombits(rng.Uint64()) // any double
		switch rng.IntN(3) {
		case 0:
			v = rng.Float64() * 0.002 // near the resolution
		case 1:
			v = float64(rng.IntN(2000000)) / 1000 / 2 // near half a unit
		}
		vs = append(vs, v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
	}
	return vs
}

// scalarIsZero and live's scalar rule answer as the rounding they replace.
func TestScalarPredicatesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, v := range scalarValues(rng) {
		zero := fixedOK(v) && toFixed(v) == 0
		if got := scalarIsZero(v); got != zero {
			t.Fatalf("scalarIsZero(%v) = %v, want %v", v, got, zero)
		}
		want := v >= 0 && !math.IsInf(v, 1) && !zero
		if got := live(scalar("cpus", v)); got != want {
			t.Fatalf("live(cpus:%v) = %v, want %v", v, got, want)
		}
	}
}

// sameMetadata answers as the full comparison on entries that differ in
// any of the metadata, plain or not.
func TestSameMetadataModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	entry := func() *mesos.Resource {
		x := randomEntry(rng, []string{"", "r", "s"}[rng.IntN(3)])
		switch rng.IntN(10) {
		case 0:
			x.Role = proto.String("*")
		case 1:
			x.Role = proto.String("eng")
		case 2:
			x.Revocable = &mesos.Resource_RevocableInfo{}
		case 3:
			x.ProviderId = &mesos.ResourceProviderID{Value: proto.String("p")}
		case 4:
			x.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("p")}
			x.Role = proto.String("eng")
		case 5:
			x.Disk = &mesos.Resource_DiskInfo{}
		case 6:
			x.Shared = &mesos.Resource_SharedInfo{}
		}
		return x
	}
	plain := 0
	for i := range 100000 {
		a, b := entry(), entry()
		if rng.IntN(4) == 0 {
			b = proto.Clone(a).(*mesos.Resource)
		}
		if plainMeta(a) && plainMeta(b) {
			plain++
		}
		if got, want := sameMetadata(a, b), sameMetadataFull(a, b); got != want {
			t.Fatalf("case %d: sameMetadata(%v, %v) = %v, want %v", i, a, b, got, want)
		}
	}
	if plain < 5000 {
		t.Fatalf("only %d pairs of plain entries", plain)
	}
}
