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
// a time (compressed, with .debug_aranges) is not searched.
func (m *Module) StructLayout(unit string, want map[string][]string) (out map[string]map[string]int64, err error) {
	if len(want) > maxLayoutTypes {
		return nil, fmt.Errorf("symbolize: %d struct types asked for, at most %d", len(want), maxLayoutTypes)
	}
	ix := m.dwarfIndex()
	if ix == nil {
		return nil, errors.New("symbolize: no DWARF")
	}
	if ix.lazy != nil || ix.d == nil {
		return nil, errors.New("symbolize: the DWARF is read a unit at a time")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, dwarfPanic(r)
		}
	}()
	r := ix.d.Reader()
	out = map[string]map[string]int64{}
	inUnit := false // at the top level of a unit named unit
	for n := 0; n <= ix.maxEntries; n++ {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		switch {
		case e.Tag == 0:
			inUnit = false // a unit's end (its children are skipped below it)
			continue
		case e.Tag == dwarf.TagCompileUnit || e.Tag == dwarf.TagPartialUnit:
			name, _ := e.Val(dwarf.AttrName).(string)
			inUnit = name == unit && e.Children
			if !inUnit && e.Children {
				r.SkipChildren()
			}
			continue
		case !inUnit:
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		members, asked := want[name]
		if e.Tag != dwarf.TagStructType || !asked || out[name] != nil || !e.Children {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		got := map[string]int64{}
		for k := 0; k <= ix.maxEntries; k++ {
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
		out[name] = got
		if len(out) == len(want) {
			return out, nil
		}
	}
	return nil, errNoProgress
}
