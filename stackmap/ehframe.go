package stackmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// This file reads .eh_frame lazily through .eh_frame_hdr (LSB 5.0,
// "Exception Frame Header"): the header's sorted table maps each FDE's
// initial location to the FDE's address, so finding the FDE for a PC is a
// binary search and only the FDEs a walk touches are ever decoded. A
// library such as librustc_driver has hundreds of thousands of FDEs.

// Pointer encodings (DW_EH_PE_*, LSB 5.0 10.5).
const (
	peAbsptr  = 0x00
	peUleb128 = 0x01
	peUdata2  = 0x02
	peUdata4  = 0x03
	peUdata8  = 0x04
	peSleb128 = 0x09
	peSdata2  = 0x0a
	peSdata4  = 0x0b
	peSdata8  = 0x0c
	pePCRel   = 0x10
	peDataRel = 0x30
	peOmit    = 0xff
)

var errTruncated = errors.New("truncated")

// reader decodes little-endian DWARF data from b; every read is checked
// against what remains, and the first failure sticks in err.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.b)
}

func (r *reader) u8() uint8 {
	if r.off+1 > len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u16() uint16 {
	if r.off+2 > len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

func (r *reader) u32() uint32 {
	if r.off+4 > len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) u64() uint64 {
	if r.off+8 > len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) uleb() uint64 {
	var v uint64
	var shift uint
	for {
		b := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= uint64(b&0x7f) << shift
		}
		shift += 7
		if b < 0x80 {
			return v
		}
	}
}

func (r *reader) sleb() int64 {
	var v int64
	var shift uint
	for {
		b := r.u8()
		if r.err != nil {
			return 0
		}
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
}

func (r *reader) cstring() string {
	for i := r.off; i < len(r.b); i++ {
		if r.b[i] == 0 {
			s := string(r.b[r.off:i])
			r.off = i + 1
			return s
		}
	}
	r.fail(errTruncated)
	return ""
}

func (r *reader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)-r.off) {
		r.fail(errTruncated)
		return nil
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

// ptr reads a pointer with encoding enc. base is the address the section
// starts at (for pcrel), dataBase the one datarel is relative to.
func (r *reader) ptr(enc uint8, base, dataBase uint64) uint64 {
	if enc == peOmit {
		return 0
	}
	at := base + uint64(r.off)
	var v uint64
	switch enc & 0x0f {
	case peAbsptr, peUdata8, peSdata8:
		v = r.u64()
	case peUleb128:
		v = r.uleb()
	case peUdata2:
		v = uint64(r.u16())
	case peSdata2:
		v = uint64(int64(int16(r.u16())))
	case peUdata4:
		v = uint64(r.u32())
	case peSdata4:
		v = uint64(int64(int32(r.u32())))
	case peSleb128:
		v = uint64(r.sleb())
	default:
		r.fail(fmt.Errorf("unsupported pointer encoding %#x", enc))
		return 0
	}
	switch enc & 0x70 {
	case 0:
	case pePCRel:
		v += at
	case peDataRel:
		v += dataBase
	default:
		r.fail(fmt.Errorf("unsupported pointer application %#x", enc))
	}
	return v
}

// ehFrame is .eh_frame with its .eh_frame_hdr search table.
type ehFrame struct {
	*frameSection
	hdr     []byte // .eh_frame_hdr
	hdrAddr uint64
	table   []byte // the header's search table
	count   int
	tabEnc  uint8
	entSize int
}

// newEHFrame validates the header and locates its search table. The table
// must use a fixed-size encoding (it does in every linker's output:
// datarel|sdata4).
func newEHFrame(data []byte, ehAddr uint64, hdr []byte, hdrAddr uint64) (*ehFrame, error) {
	r := &reader{b: hdr}
	bad := func(off int, msg string, val any) error {
		return &FormatError{Section: ".eh_frame_hdr", Off: int64(off), Msg: msg, Val: val}
	}
	if v := r.u8(); v != 1 {
		return nil, bad(0, "unsupported .eh_frame_hdr version", v)
	}
	ptrEnc, countEnc, tabEnc := r.u8(), r.u8(), r.u8()
	r.ptr(ptrEnc, hdrAddr, hdrAddr)
	count := r.ptr(countEnc, hdrAddr, hdrAddr)
	if r.err != nil {
		return nil, &FormatError{Section: ".eh_frame_hdr", Off: 4, Msg: "eh_frame_ptr and fde_count", Err: r.err}
	}
	var size int
	switch tabEnc & 0x0f {
	case peUdata4, peSdata4:
		size = 8
	case peUdata8, peSdata8:
		size = 16
	default:
		return nil, bad(3, "search table encoding has no fixed size", hex(tabEnc))
	}
	if tabEnc == peOmit || countEnc == peOmit {
		return nil, bad(2, "no search table", nil)
	}
	if count > uint64(len(hdr)-r.off)/uint64(size) {
		return nil, bad(r.off, fmt.Sprintf("search table claims %d entries in %d bytes", count, len(hdr)-r.off), nil)
	}
	return &ehFrame{frameSection: newFrameSection(".eh_frame", data, ehAddr), hdr: hdr, hdrAddr: hdrAddr,
		table: hdr[r.off:], count: int(count), tabEnc: tabEnc, entSize: size}, nil
}

// entry decodes search table entry i: an initial location and the FDE's
// address, both relative to the header when datarel.
func (e *ehFrame) entry(i int) (loc, fdeAddr uint64) {
	r := &reader{b: e.table[i*e.entSize : (i+1)*e.entSize]}
	// datarel is relative to the start of .eh_frame_hdr; the entry's own
	// position does not matter, so base is unused.
	loc = r.ptr(e.tabEnc, 0, e.hdrAddr)
	fdeAddr = r.ptr(e.tabEnc, 0, e.hdrAddr)
	return loc, fdeAddr
}

// find returns the FDE covering link-time pc.
func (e *ehFrame) find(pc uint64) (*fde, error) {
	i := sort.Search(e.count, func(i int) bool {
		loc, _ := e.entry(i)
		return loc > pc
	}) - 1
	if i < 0 {
		return nil, errNoFDE
	}
	_, addr := e.entry(i)
	if addr < e.addr || addr-e.addr >= uint64(len(e.data)) {
		return nil, &FormatError{Section: ".eh_frame_hdr", Off: int64(len(e.hdr) - len(e.table) + i*e.entSize),
			Msg: fmt.Sprintf("search table entry %d points outside .eh_frame", i), Val: hex(addr)}
	}
	f, err := e.parseFDE(int(addr - e.addr))
	if err != nil {
		return nil, err
	}
	if pc < f.begin || pc >= f.end {
		return nil, errNoFDE
	}
	return f, nil
}
