package stackmap

import "errors"

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

var errBadCFA = errors.New("malformed CFA program")

// maxRSPOffset walks CFA programs (the CIE's initial instructions, then the
// FDE's) and returns the largest offset from rsp the CFA rule ever takes:
// for a function that addresses its frame from rsp, the size of its whole
// frame, return address included. It reports ok false when the CFA is never
// rsp-based (a frame-pointer function), so the caller can fall back to the
// prologue.
func maxRSPOffset(dataAlign int64, programs ...[]byte) (max int64, ok bool, err error) {
	type state struct {
		reg uint64
		off int64
	}
	var cur state
	var stack []state
	note := func() {
		if cur.reg == RSP && cur.off > max {
			max, ok = cur.off, true
		}
	}
	for _, p := range programs {
		for i := 0; i < len(p); {
			op := p[i]
			i++
			uleb := func() uint64 {
				var v uint64
				var shift uint
				for i < len(p) {
					b := p[i]
					i++
					if shift < 64 {
						v |= uint64(b&0x7f) << shift
					}
					shift += 7
					if b < 0x80 {
						return v
					}
				}
				err = errBadCFA
				return v
			}
			sleb := func() int64 {
				var v int64
				var shift uint
				for i < len(p) {
					b := p[i]
					i++
					if shift < 64 {
						v |= int64(b&0x7f) << shift
					}
					shift += 7
					if b < 0x80 {
						if shift < 64 && b&0x40 != 0 {
							v |= -1 << shift
						}
						return v
					}
				}
				err = errBadCFA
				return v
			}
			skip := func(n int) {
				if n < 0 || n > len(p)-i {
					err = errBadCFA
					i = len(p)
					return
				}
				i += n
			}
			switch op & 0xc0 {
			case cfaAdvanceLoc, cfaRestore:
				continue
			case cfaOffset:
				uleb()
				continue
			}
			switch op {
			case cfaNop:
			case cfaSetLoc:
				skip(8)
			case cfaAdvanceLoc1:
				skip(1)
			case cfaAdvanceLoc2:
				skip(2)
			case cfaAdvanceLoc4:
				skip(4)
			case cfaOffsetExtended, cfaRegister, cfaValOffset, cfaGNUNegOffsetExt:
				uleb()
				uleb()
			case cfaRestoreExtended, cfaUndefined, cfaSameValue, cfaGNUArgsSize:
				uleb()
			case cfaRememberState:
				stack = append(stack, cur)
			case cfaRestoreState:
				if len(stack) > 0 {
					cur = stack[len(stack)-1]
					stack = stack[:len(stack)-1]
				}
			case cfaDefCFA:
				cur.reg = uleb()
				cur.off = int64(uleb())
				note()
			case cfaDefCFARegister:
				cur.reg = uleb()
				note()
			case cfaDefCFAOffset:
				cur.off = int64(uleb())
				note()
			case cfaDefCFASF:
				cur.reg = uleb()
				cur.off = sleb() * dataAlign
				note()
			case cfaDefCFAOffsetSF:
				cur.off = sleb() * dataAlign
				note()
			case cfaDefCFAExpression:
				cur.reg = ^uint64(0)
				skip(int(uleb()))
			case cfaExpression, cfaValExpression:
				uleb()
				skip(int(uleb()))
			case cfaOffsetExtendedSF, cfaValOffsetSF:
				uleb()
				sleb()
			default:
				return max, ok, errBadCFA
			}
			if err != nil {
				return max, ok, err
			}
		}
	}
	return max, ok, nil
}

// FrameInfo describes the function covering a PC, from its FDE.
type FrameInfo struct {
	Begin, End uint64 // link-time range of the FDE
	// CFASize is the largest CFA offset from rsp in the FDE: the frame's
	// full size, return address included; 0 if the CFA is never rsp-based.
	CFASize int64
}

// FrameInfo returns what the CFI says about the function at link-time
// address pc.
func (c *CFI) FrameInfo(pc uint64) (FrameInfo, bool) {
	e := c.lookup(pc)
	if e.err != nil {
		return FrameInfo{}, false
	}
	fi := FrameInfo{Begin: e.begin, End: e.end}
	if size, ok, err := maxRSPOffset(e.dataAlign, e.initial, e.insns); err == nil && ok {
		fi.CFASize = size
	}
	return fi, true
}
