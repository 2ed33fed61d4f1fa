package symbolize

import (
	"debug/dwarf"
	"errors"
	"fmt"
	"runtime/debug"
)

// maxLayoutTypes bounds the struct types one StructLayout call asks for.
const maxLayoutTypes = 16

// StructLayout returns the byte offsets of members of struct types, as
// the module's DWARF declares them at the top level of the units named
// unit: want maps a type's name to the members asked for, and the answer
// holds every type found, with the members of it found. The units are
// read from the first on, those of other names skipped, until every type
// is found: Go declares the runtime's types (runtime.g, runtime.m,
// runtime.gobuf) in one of the early units named "runtime" (not the one
// with the functions that use them). A file whose DWARF is read a unit at
// a time (compressed, with .debug_aranges: a cgo program the system
// linker linked) is inflated unit by unit from the first.
func (m *Module) StructLayout(unit string, want map[string][]string) (out map[string]map[string]int64, err error) {
	if len(want) > maxLayoutTypes {
		return nil, fmt.Errorf("symbolize: %d struct types asked for, at most %d", len(want), maxLayoutTypes)
	}
	ix := m.dwarfIndex()
	if ix == nil {
		return nil, errors.New("symbolize: no DWARF")
	}
	return ix.structLayout(unit, want)
}

// structLayout is StructLayout on the module's DWARF index.
func (ix *dwarfIndex) structLayout(unit string, want map[string][]string) (out map[string]map[string]int64, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, dwarfPanic(r)
		}
	}()
	if ix.lazy != nil {
		return ix.lazyStructLayout(unit, want)
	}
	if ix.d == nil {
		return nil, errors.New("symbolize: no DWARF")
	}
	r := ix.d.Reader()
	out = map[string]map[string]int64{}
	for n := 0; n <= ix.maxEntries; n++ {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		if err := scanUnit(r, e, unit, want, out, ix.maxEntries); err != nil {
			return nil, err
		}
		if len(out) == len(want) {
			return out, nil
		}
	}
	return nil, errNoProgress
}

// maxLazyLayoutUnits bounds the units lazyStructLayout reads, each with a
// Data of its own: a file of tiny units (one every 11 bytes) would
// otherwise cost seconds. Go programs have a unit per package, a few
// thousand in the largest.
const maxLazyLayoutUnits = 1 << 16

// lazyStructLayout is StructLayout for a file whose DWARF is read a unit
// at a time: the units are inflated in order from offset 0 (each unit's
// length giving the next one's offset; Go's linker puts the runtime's
// types unit anywhere among the packages': the 57th of 186 in a program
// of net/http, encoding/json and crypto/tls), each read through a Data of
// its own, not kept. A unit debug/dwarf cannot read is passed over.
func (ix *dwarfIndex) lazyStructLayout(unit string, want map[string][]string) (map[string]map[string]int64, error) {
	lz := ix.lazy
	out := map[string]map[string]int64{}
	for off, n := uint64(0), 0; off < lz.info.size; n++ {
		if n >= maxLazyLayoutUnits {
			return out, fmt.Errorf("symbolize: .debug_info: more than %d units", maxLazyLayoutUnits)
		}
		lz.mu.Lock()
		u, die, err := lz.readUnit(off)
		var sec map[string][]byte
		if err == nil {
			sec = map[string][]byte{"info": u, "abbrev": lz.abbrev.buf}
			for k, v := range lz.whole {
				sec[k] = v
			}
		}
		lz.mu.Unlock()
		if err != nil {
			return nil, err
		}
		next := off + uint64(len(u))
		if next <= off {
			return nil, errNoProgress
		}
		// The unit alone, at offset 0: its references within itself
		// (DW_FORM_ref4, as DW_AT_sibling) are relative to its start.
		d, err := newDWARFData(sec)
		if err == nil {
			err = scanUnitLayout(d.Reader(), dwarf.Offset(die-off), unit, want, out, ix.maxEntries)
		}
		if err == nil && len(out) == len(want) {
			return out, nil
		}
		off = next
	}
	return out, nil
}

// scanUnitLayout reads the unit whose top DIE is at die (scanUnit).
func scanUnitLayout(r *dwarf.Reader, die dwarf.Offset, unit string, want map[string][]string, out map[string]map[string]int64, maxEntries int) error {
	r.Seek(die)
	e, err := r.Next()
	if err != nil || e == nil {
		return err
	}
	return scanUnit(r, e, unit, want, out, maxEntries)
}

// scanUnit reads the unit whose top DIE r has just read as e: when it is
// named unit, the struct types of want at its top level go into out; its
// children are read, or skipped, to its end.
func scanUnit(r *dwarf.Reader, e *dwarf.Entry, unit string, want map[string][]string, out map[string]map[string]int64, maxEntries int) error {
	if !e.Children {
		return nil
	}
	if name, _ := e.Val(dwarf.AttrName).(string); e.Tag != dwarf.TagCompileUnit && e.Tag != dwarf.TagPartialUnit || name != unit {
		r.SkipChildren()
		return nil
	}
	for k := 0; k <= maxEntries; k++ {
		c, err := r.Next()
		if err != nil {
			return err
		}
		if c == nil || c.Tag == 0 {
			return nil
		}
		tn, _ := c.Val(dwarf.AttrName).(string)
		members, asked := want[tn]
		if c.Tag != dwarf.TagStructType || !asked || out[tn] != nil || !c.Children {
			if c.Children {
				r.SkipChildren()
			}
			continue
		}
		got, err := readMembers(r, members, maxEntries)
		if err != nil {
			return err
		}
		out[tn] = got
	}
	return errNoProgress
}

// readMembers reads the children of the struct type r has just read, up
// to their end, and returns the offsets of those of them named in
// members.
func readMembers(r *dwarf.Reader, members []string, maxEntries int) (map[string]int64, error) {
	got := map[string]int64{}
	for k := 0; k <= maxEntries; k++ {
		c, err := r.Next()
		if err != nil {
			return nil, err
		}
		if c == nil || c.Tag == 0 {
			break
		}
		if c.Children {
			r.SkipChildren()
		}
		mn, _ := c.Val(dwarf.AttrName).(string)
		loc, ok := c.Val(dwarf.AttrDataMemberLoc).(int64)
		if c.Tag != dwarf.TagMember || !ok || loc < 0 {
			continue
		}
		for _, w := range members {
			if w == mn {
				got[mn] = loc
			}
		}
	}
	return got, nil
}
