package stackmap

// DWARF register numbers of the x86-64 psABI (Figure 3.36).
const (
	RAX = 0
	RDX = 1
	RCX = 2
	RBX = 3
	RSI = 4
	RDI = 5
	RBP = 6
	RSP = 7
	R8  = 8
	R15 = 15
	RIP = 16 // the return address column

	numRegs = 17
)

// Regs is a register set indexed by DWARF number, with the registers whose
// value is known in the frame marked valid.
type Regs struct {
	val   [numRegs]uint64
	valid uint32
}

// Get returns register n and whether its value is known.
func (r *Regs) Get(n int) (uint64, bool) {
	if n < 0 || n >= numRegs {
		return 0, false
	}
	return r.val[n], r.valid&(1<<n) != 0
}

// Set sets register n.
func (r *Regs) Set(n int, v uint64) {
	if n >= 0 && n < numRegs {
		r.val[n] = v
		r.valid |= 1 << n
	}
}

// PC returns the program counter.
func (r *Regs) PC() uint64 { return r.val[RIP] }

// SP returns the stack pointer.
func (r *Regs) SP() uint64 { return r.val[RSP] }
