package analyze

import (
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		addr uint64
		want bool
	}{
		{0, true},
		{0x00007fffffffffff, true},
		{0x0000800000000000, false},
		{0xdead000000000110, false},
		{0xffff7fffffffffff, false},
		{0xffff800000000000, true},
		{0xffffffffffffffff, true},
		{0x4141414141414141, false},
	}
	for _, tt := range tests {
		if got := canonical(tt.addr); got != tt.want {
			t.Errorf("canonical(%#x) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestGeneralProtectionFault: on the c-gp-fault core (SIGSEGV, SI_KERNEL,
// si_addr 0) the report claims no null pointer: the diagnosis is
// non-canonical-address with the address computed from the instruction.
func TestGeneralProtectionFault(t *testing.T) {
	_, r := analyzeFixture(t, "c-gp-fault")
	if r.Signal == nil || r.Signal.Address != nil {
		t.Errorf("signal %+v: want no address", r.Signal)
	}
	if len(r.Diagnosis) == 0 {
		t.Fatal("no diagnosis")
	}
	d := r.Diagnosis[0]
	if d.Kind != "non-canonical-address" || d.Access == nil || d.Access.Address == nil ||
		*d.Access.Address != 0xdead000000000110 || d.Access.AddressSource != "instruction" || d.Access.Operation != "read" {
		t.Errorf("diagnosis %s %+v, want a non-canonical read of 0xdead000000000110 computed from the instruction", d.Kind, d.Access)
	}
}
