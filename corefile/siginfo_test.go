package corefile

import "testing"

// TestSiginfoHasAddr: si_addr is an address only for faults that carry
// one; a general-protection fault (SI_KERNEL) and x86's alignment-check
// SIGBUS report 0, which is not the null pointer.
func TestSiginfoHasAddr(t *testing.T) {
	tests := []struct {
		name           string
		si             Siginfo
		fault, hasAddr bool
	}{
		{"SIGSEGV SEGV_MAPERR", Siginfo{Signo: 11, Code: 1}, true, true},
		{"SIGSEGV SEGV_ACCERR", Siginfo{Signo: 11, Code: 2}, true, true},
		{"SIGSEGV SI_KERNEL (general protection)", Siginfo{Signo: 11, Code: SI_KERNEL}, true, false},
		{"SIGBUS BUS_ADRALN", Siginfo{Signo: 7, Code: BUS_ADRALN}, true, false},
		{"SIGBUS BUS_ADRERR", Siginfo{Signo: 7, Code: 2}, true, true},
		{"SIGILL ILL_ILLOPN", Siginfo{Signo: 4, Code: 2}, true, true},
		{"SIGFPE FPE_INTDIV", Siginfo{Signo: 8, Code: 1}, true, true},
		{"SIGSEGV SI_USER (kill)", Siginfo{Signo: 11, Code: 0}, false, false},
		{"SIGABRT SI_TKILL", Siginfo{Signo: 6, Code: -6}, false, false},
	}
	for _, tt := range tests {
		if got := tt.si.Fault(); got != tt.fault {
			t.Errorf("%s: Fault() = %v, want %v", tt.name, got, tt.fault)
		}
		if got := tt.si.HasAddr(); got != tt.hasAddr {
			t.Errorf("%s: HasAddr() = %v, want %v", tt.name, got, tt.hasAddr)
		}
	}
}
