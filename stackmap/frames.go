package stackmap

import (
	"errors"
	"fmt"
	"sort"
)

// This file decodes the entries of .eh_frame (LSB 5.0 10.6 "Call Frame
// Information") and .debug_frame (DWARF 5, 6.4.1): sequences of CIEs and
// FDEs that differ only in how an FDE names its CIE and in how a CIE is
// marked. Both run through one interpreter (execCFA).
//
//	                 .eh_frame                      .debug_frame
//	CIE id           0 (4 bytes)                    0xffffffff (8 bytes of ff in 64-bit DWARF)
//	FDE's CIE field  distance back from the field   offset from the section's start
//	CIE versions     1, 3                           1, 3, 4 (4 adds address and segment sizes)
//	FDE addresses    encoded as the 'R' augmentation  target addresses (8 bytes)

// cie is a decoded Common Information Entry.
type cie struct {
	codeAlign uint64
	dataAlign int64
	raReg     uint64
	fdeEnc    uint8
	hasAug    bool // augmentation starts with 'z'
	signal    bool // 'S': FDEs describe signal trampolines
	initial   []byte
}

// fde is a decoded Frame Description Entry.
type fde struct {
	section    string // ".eh_frame" or ".debug_frame"
	off        int    // where it is in the section
	begin, end uint64 // link-time range
	cie        *cie
	insns      []byte
}

// frameSection is a .eh_frame or .debug_frame section with its CIEs, decoded
// as FDEs name them.
type frameSection struct {
	name  string // ".eh_frame" or ".debug_frame"
	data  []byte
	addr  uint64 // link-time address: .eh_frame's pcrel pointers count from it
	debug bool   // .debug_frame's conventions
	cies  map[int]*cie
}

func newFrameSection(name string, data []byte, addr uint64) *frameSection {
	return &frameSection{name: name, data: data, addr: addr, debug: name == ".debug_frame", cies: map[int]*cie{}}
}

func (s *frameSection) bad(off int, msg string, val any, err error) error {
	return &FormatError{Section: s.name, Off: int64(off), Msg: msg, Val: val, Err: err}
}

// entryAt returns the body of the entry at off, the offset of its body
// (just after the length) and whether it is in the 64-bit DWARF format.
func (s *frameSection) entryAt(off int) ([]byte, int, bool, error) {
	r := &reader{b: s.data, off: off}
	length := uint64(r.u32())
	dwarf64 := length == 0xffffffff
	if dwarf64 {
		length = r.u64()
	}
	if r.err != nil {
		return nil, 0, false, s.bad(off, "entry length", nil, r.err)
	}
	if length == 0 {
		return nil, 0, false, s.bad(off, "entry is a terminator (length 0)", nil, nil)
	}
	body := r.off
	if length > uint64(len(s.data)-body) {
		return nil, 0, false, s.bad(off, fmt.Sprintf("entry length runs past the section (%d bytes left)", len(s.data)-body), length, nil)
	}
	return s.data[body : body+int(length)], body, dwarf64, nil
}

// cieRef reads an entry's CIE field: whether the entry is itself a CIE
// and, for an FDE, the offset of its CIE.
func (s *frameSection) cieRef(r *reader, bodyOff int, dwarf64 bool) (isCIE bool, cieOff uint64) {
	if !s.debug {
		id := r.u32()
		// The field counts back from itself.
		return id == 0, uint64(bodyOff) - uint64(id)
	}
	if dwarf64 {
		id := r.u64()
		return id == ^uint64(0), id
	}
	id := r.u32()
	return id == 0xffffffff, uint64(id)
}

func (s *frameSection) parseFDE(off int) (*fde, error) {
	body, bodyOff, dwarf64, err := s.entryAt(off)
	if err != nil {
		return nil, err
	}
	r := &reader{b: body}
	isCIE, cieOff := s.cieRef(r, bodyOff, dwarf64)
	if r.err != nil {
		return nil, s.bad(off, "FDE", nil, r.err)
	}
	if isCIE || cieOff >= uint64(len(s.data)) || !s.debug && uint64(bodyOff) < cieOff {
		// An .eh_frame pointer cannot reach before the section (or be
		// 0, which marks a CIE); a .debug_frame offset must be in it.
		var raw uint64
		if s.debug {
			raw = cieOff
		} else {
			raw = uint64(bodyOff) - cieOff
		}
		return nil, s.bad(off, "FDE has a bad CIE pointer", hex(raw), nil)
	}
	c, err := s.parseCIE(int(cieOff))
	if err != nil {
		return nil, s.bad(off, "FDE's CIE", nil, err)
	}
	// Pointers are relative to where they sit in .eh_frame.
	base := s.addr + uint64(bodyOff)
	begin := r.ptr(c.fdeEnc, base, 0)
	size := r.ptr(c.fdeEnc&0x0f, base, 0)
	if c.hasAug {
		r.bytes(r.uleb())
	}
	if r.err != nil {
		return nil, s.bad(off, "FDE", nil, r.err)
	}
	return &fde{section: s.name, off: off, begin: begin, end: begin + size, cie: c, insns: body[r.off:]}, nil
}

func (s *frameSection) parseCIE(off int) (*cie, error) {
	if c, ok := s.cies[off]; ok {
		return c, nil
	}
	body, bodyOff, dwarf64, err := s.entryAt(off)
	if err != nil {
		return nil, err
	}
	r := &reader{b: body}
	bad := func(msg string, val any, err error) error { return s.bad(off, msg, val, err) }
	idReader := *r
	if isCIE, _ := s.cieRef(r, bodyOff, dwarf64); !isCIE {
		id := idReader.u32()
		return nil, bad("the entry is not a CIE: its id is", hex(id), nil)
	}
	version := r.u8()
	if version != 1 && version != 3 && !(s.debug && version == 4) {
		return nil, bad("unsupported CIE version", version, nil)
	}
	aug := r.cstring()
	c := &cie{fdeEnc: peAbsptr}
	if version == 4 {
		// DWARF 5 6.4.1: address_size and segment_selector_size.
		addrSize, segSize := r.u8(), r.u8()
		if r.err == nil && (segSize != 0 || addrSize != 4 && addrSize != 8) {
			return nil, bad(fmt.Sprintf("unsupported address size %d, segment selector size", addrSize), segSize, nil)
		}
		if addrSize == 4 {
			c.fdeEnc = peUdata4
		}
	}
	c.codeAlign = r.uleb()
	c.dataAlign = r.sleb()
	if version == 1 {
		c.raReg = uint64(r.u8())
	} else {
		c.raReg = r.uleb()
	}
	if len(aug) > 0 && aug[0] == 'z' {
		c.hasAug = true
		augData := &reader{b: r.bytes(r.uleb())}
		base := s.addr + uint64(bodyOff) + uint64(r.off-len(augData.b))
		for _, ch := range aug[1:] {
			switch ch {
			case 'R':
				c.fdeEnc = augData.u8()
			case 'L':
				augData.u8()
			case 'P':
				enc := augData.u8()
				augData.ptr(enc&^0x80, base, 0)
			case 'S':
				c.signal = true
			case 'B', 'G':
			default:
				return nil, bad("unknown CIE augmentation", fmt.Sprintf("%q", aug), nil)
			}
		}
		if augData.err != nil {
			return nil, bad("CIE augmentation data", nil, augData.err)
		}
	} else if aug != "" {
		return nil, bad("unsupported CIE augmentation", fmt.Sprintf("%q", aug), nil)
	}
	if r.err != nil {
		return nil, bad("CIE", nil, r.err)
	}
	c.initial = body[r.off:]
	s.cies[off] = c
	return c, nil
}

// fdeSpan is one FDE of an fdeTable: its range and where it is.
type fdeSpan struct {
	begin, end uint64
	off        int
}

// fdeTable indexes every FDE of a section that has no search table
// (.debug_frame, or an .eh_frame without .eh_frame_hdr). The FDEs are
// decoded once to learn their ranges and again, by offset, when a lookup
// needs one; the index holds 24 bytes per FDE.
type fdeTable struct {
	*frameSection
	spans []fdeSpan // sorted by begin
}

// maxFrameErrors bounds the broken entries an fdeTable reports one by one.
const maxFrameErrors = 4

// newFDETable walks the section's entries. A broken FDE is skipped and
// reported; a broken length ends the walk (the next entry cannot be found),
// keeping the FDEs before it.
func newFDETable(s *frameSection) (*fdeTable, error) {
	t := &fdeTable{frameSection: s}
	var errs []error
	broken := 0
	for off := 0; off+4 <= len(s.data); {
		body, bodyOff, dwarf64, err := s.entryAt(off)
		if err != nil {
			if len(s.data)-off >= 4 && s.data[off] == 0 && s.data[off+1] == 0 && s.data[off+2] == 0 && s.data[off+3] == 0 {
				if !s.debug {
					break // .eh_frame's terminator
				}
				off += 4 // padding
				continue
			}
			errs = append(errs, err)
			break
		}
		next := bodyOff + len(body)
		r := &reader{b: body}
		if isCIE, _ := s.cieRef(r, bodyOff, dwarf64); !isCIE && r.err == nil {
			f, err := s.parseFDE(off)
			switch {
			case err != nil:
				if broken++; broken <= maxFrameErrors {
					errs = append(errs, err)
				}
			case f.end > f.begin:
				t.spans = append(t.spans, fdeSpan{begin: f.begin, end: f.end, off: off})
			}
		}
		off = next
	}
	if broken > maxFrameErrors {
		errs = append(errs, fmt.Errorf("%s: %d more broken FDEs", s.name, broken-maxFrameErrors))
	}
	sort.SliceStable(t.spans, func(i, j int) bool { return t.spans[i].begin < t.spans[j].begin })
	if len(errs) == 0 {
		return t, nil
	}
	return t, errors.Join(errs...)
}

// find returns the FDE covering link-time pc.
func (t *fdeTable) find(pc uint64) (*fde, error) {
	i := sort.Search(len(t.spans), func(i int) bool { return t.spans[i].begin > pc }) - 1
	if i < 0 || pc >= t.spans[i].end {
		return nil, errNoFDE
	}
	return t.parseFDE(t.spans[i].off)
}
