package stackmap

// CFA instruction opcodes (DWARF 5, 6.4.2; .eh_frame uses the same).
const (
	cfaAdvanceLoc       = 0x40 // high two bits
	cfaOffset           = 0x80
	cfaRestore          = 0xc0
	cfaNop              = 0x00
	cfaSetLoc           = 0x01
	cfaAdvanceLoc1      = 0x02
	cfaAdvanceLoc2      = 0x03
	cfaAdvanceLoc4      = 0x04
	cfaOffsetExtended   = 0x05
	cfaRestoreExtended  = 0x06
	cfaUndefined        = 0x07
	cfaSameValue        = 0x08
	cfaRegister         = 0x09
	cfaRememberState    = 0x0a
	cfaRestoreState     = 0x0b
	cfaDefCFA           = 0x0c
	cfaDefCFARegister   = 0x0d
	cfaDefCFAOffset     = 0x0e
	cfaDefCFAExpression = 0x0f
	cfaExpression       = 0x10
	cfaOffsetExtendedSF = 0x11
	cfaDefCFASF         = 0x12
	cfaDefCFAOffsetSF   = 0x13
	cfaValOffset        = 0x14
	cfaValOffsetSF      = 0x15
	cfaValExpression    = 0x16
	cfaGNUArgsSize      = 0x2e
	cfaGNUNegOffsetExt  = 0x2f
)

// maxRSPOffset walks CFA programs (the CIE's initial instructions, then the
// FDE's) and returns the largest offset from rsp the CFA rule ever takes:
// for a function that addresses its frame from rsp, the size of its whole
// frame, return address included. It reports ok false when the CFA is never
// rsp-based.
//
// partial is set when the CFA rule leaves rsp (DW_CFA_def_cfa_register rbp
// after mov rbp,rsp, or a CFA expression) and never comes back to it with a
// larger offset: while the CFA is rbp-based, the pushes and sub rsp of the
// prologue move rsp without changing the CFA rule, so the CFI does not show
// them and max is only a lower bound of the frame (16, push rbp and the
// return address, for a classic frame-pointer prologue). A probe loop that
// keeps the CFA in r11 and then returns it to rsp at the full offset (GCC's
// -fstack-clash-protection, LLVM's probe loop) leaves max exact.
func maxRSPOffset(dataAlign int64, programs ...[]byte) (max int64, ok, partial bool, err error) {
	type state struct {
		reg uint64
		off int64
	}
	var cur state
	var stack []state
	note := func() {
		if cur.reg != RSP {
			partial = true
			return
		}
		if cur.off > max {
			// Back on rsp with a larger offset (after a probe loop that
			// kept the CFA in r11): what was allocated meanwhile shows.
			max, ok, partial = cur.off, true, false
		}
	}
	for _, p := range programs {
		rd := &reader{b: p}
		for rd.off < len(rd.b) && rd.err == nil {
			op := rd.u8()
			switch op & 0xc0 {
			case cfaAdvanceLoc, cfaRestore:
				continue
			case cfaOffset:
				rd.uleb()
				continue
			}
			switch op {
			case cfaNop:
			case cfaSetLoc:
				rd.bytes(8)
			case cfaAdvanceLoc1:
				rd.bytes(1)
			case cfaAdvanceLoc2:
				rd.bytes(2)
			case cfaAdvanceLoc4:
				rd.bytes(4)
			case cfaOffsetExtended, cfaRegister, cfaValOffset, cfaGNUNegOffsetExt:
				rd.uleb()
				rd.uleb()
			case cfaRestoreExtended, cfaUndefined, cfaSameValue, cfaGNUArgsSize:
				rd.uleb()
			case cfaRememberState:
				if len(stack) < maxRememberDepth {
					stack = append(stack, cur)
				}
			case cfaRestoreState:
				if len(stack) > 0 {
					cur = stack[len(stack)-1]
					stack = stack[:len(stack)-1]
				}
			case cfaDefCFA:
				cur.reg = rd.uleb()
				cur.off = int64(rd.uleb())
				note()
			case cfaDefCFARegister:
				cur.reg = rd.uleb()
				note()
			case cfaDefCFAOffset:
				cur.off = int64(rd.uleb())
				note()
			case cfaDefCFASF:
				cur.reg = rd.uleb()
				cur.off = rd.sleb() * dataAlign
				note()
			case cfaDefCFAOffsetSF:
				cur.off = rd.sleb() * dataAlign
				note()
			case cfaDefCFAExpression:
				cur.reg = ^uint64(0)
				rd.bytes(rd.uleb())
				note()
			case cfaExpression, cfaValExpression:
				rd.uleb()
				rd.bytes(rd.uleb())
			case cfaOffsetExtendedSF, cfaValOffsetSF:
				rd.uleb()
				rd.sleb()
			default:
				return max, ok, partial, errCFAProgram
			}
		}
		if rd.err != nil {
			return max, ok, partial, errCFAProgram
		}
	}
	return max, ok, partial, nil
}

// FrameInfo describes the function covering a PC, from its FDE.
type FrameInfo struct {
	Begin, End uint64 // link-time range of the FDE
	// CFASize is the largest CFA offset from rsp in the FDE: the frame's
	// full size, return address included; 0 if the CFA is never rsp-based.
	CFASize int64
	// Partial is set when the CFA rule leaves rsp somewhere in the FDE (a
	// frame-pointer function: CFA = rbp+16 after mov rbp,rsp). Stack
	// allocated after that does not show in the CFI, so CFASize is only a
	// lower bound of the frame; the prologue has the rest.
	Partial bool
}

// FrameInfo returns what the CFI says about the function at link-time
// address pc.
func (c *CFI) FrameInfo(pc uint64) (FrameInfo, bool) {
	e := c.lookup(pc)
	if e.err != nil {
		return FrameInfo{}, false
	}
	fi := FrameInfo{Begin: e.begin, End: e.end}
	if size, ok, partial, err := maxRSPOffset(e.dataAlign, e.initial, e.insns); err == nil {
		if ok {
			fi.CFASize = size
		}
		fi.Partial = partial
	}
	return fi, true
}
