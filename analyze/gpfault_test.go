package analyze

import (
	"testing"
)

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
