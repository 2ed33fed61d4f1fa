package symbolize

import (
	"debug/dwarf"
	"errors"
	"io"
	"sort"
)

// unitIndex is one compilation unit decoded for address lookups: its line
// table as sorted rows, and the tree of its functions and inlined calls.
type unitIndex struct {
	files []string
	rows  []lineRow

	scopes []scope
	// top holds the address ranges of the outermost scopes (functions not
	// nested in another), sorted by lo.
	top []addrRange
}

// lineRow is one row of a line table: from addr on, the code is at
// file:line:col (until the next row).
type lineRow struct {
	addr      uint64
	file      uint32 // index into unitIndex.files
	line, col uint32
	stmt      bool
	endSeq    bool
	// hidden rows are rows gdb's line table does not have (lineKeeper):
	// they give no line, only the column of the instruction they start.
	hidden bool
}

// scope is a function (DW_TAG_subprogram) or an inlined call
// (DW_TAG_inlined_subroutine) with code.
type scope struct {
	ranges   [][2]uint64
	children []int32
	// origin is the DIE that names the scope: the scope itself, or the
	// abstract instance (DW_AT_abstract_origin) or declaration
	// (DW_AT_specification) it points at.
	origin dwarf.Offset
	// For an inlined call, the call site in the enclosing scope
	// (DW_AT_call_file, DW_AT_call_line, DW_AT_call_column).
	callFile          int
	callLine, callCol int
}

// Limits on what one unit may make us hold.
const (
	maxUnitRows   = 1 << 24
	maxUnitScopes = 1 << 22
	maxScopeDepth = 256
)

var errUnitTooBig = errors.New("compilation unit too large")

// readUnit decodes the unit at off.
func (ix *dwarfIndex) readUnit(off dwarf.Offset) (*unitIndex, error) {
	d, off, err := ix.dataFor(off)
	if err != nil {
		return nil, err
	}
	r := readerAt(d, off)
	cu, err := r.Next()
	if err != nil {
		return nil, err
	}
	if cu == nil {
		return nil, errors.New("no compilation unit at its offset")
	}
	u := &unitIndex{}
	if off, ok := cu.Val(dwarf.AttrStmtList).(int64); ok {
		if err := checkLineHeader(ix.line, uint64(off)); err != nil {
			return nil, err
		}
	}
	if err := u.readLines(d, cu); err != nil {
		return nil, err
	}
	if cu.Children {
		if err := u.readScopes(d, r, ix.maxEntries); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// readLines decodes the unit's line program into rows sorted by address.
// Rows are kept or dropped as gdb's line-table reader does
// (lnp_state_machine::record_line in gdb/dwarf2/read.c), see lineKeeper.
func (u *unitIndex) readLines(d *dwarf.Data, cu *dwarf.Entry) error {
	lr, err := d.LineReader(cu)
	if err != nil {
		return err
	}
	if lr == nil {
		return nil // no line table
	}
	fileIdx := map[*dwarf.LineFile]uint32{}
	var e dwarf.LineEntry
	var k lineKeeper
	for {
		if err := lr.Next(&e); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		if len(u.rows) >= maxUnitRows {
			return errUnitTooBig
		}
		fi, ok := fileIdx[e.File]
		if !ok {
			fi = uint32(len(fileIdx))
			fileIdx[e.File] = fi
		}
		row := lineRow{addr: e.Address, file: fi, line: uint32(max(e.Line, 0)), col: uint32(max(e.Column, 0)), stmt: e.IsStmt, endSeq: e.EndSequence}
		u.rows = k.add(u.rows, row, e.Discriminator != 0)
	}
	// Rows name files by their *LineFile; keep the unit's file table in
	// DWARF's own numbering (for DW_AT_call_file) and map rows onto it.
	table := lr.Files()
	u.files = make([]string, len(table))
	byPtr := map[*dwarf.LineFile]int{}
	for i, f := range table {
		if f != nil {
			u.files[i] = cleanPath(f.Name)
			byPtr[f] = i
		}
	}
	remap := make([]uint32, len(fileIdx))
	for f, old := range fileIdx {
		if i, ok := byPtr[f]; ok {
			remap[old] = uint32(i)
		} else {
			// A file the table no longer lists (or none): append it.
			name := ""
			if f != nil {
				name = cleanPath(f.Name)
			}
			remap[old] = uint32(len(u.files))
			u.files = append(u.files, name)
		}
	}
	for i := range u.rows {
		u.rows[i].file = remap[u.rows[i].file]
	}
	// Sequences come in any order. Sort by address; at one address an
	// end-of-sequence row goes before the rows of the sequence starting
	// there, so that the lookup below finds the latter.
	sort.SliceStable(u.rows, func(i, j int) bool {
		a, b := &u.rows[i], &u.rows[j]
		if a.addr != b.addr {
			return a.addr < b.addr
		}
		return a.endSeq && !b.endSeq
	})
	return nil
}

// lineKeeper applies gdb's rules for which rows of one line program enter
// its line table, in the program's order (lnp_state_machine::record_line
// and dwarf_record_line_p in gdb/dwarf2/read.c, buildsym's record_line):
//
//   - a row that switches file at the address of the previous row, is not a
//     statement, and follows a statement row at that address is ignored: it
//     names inlined code's caller at an address the statement row already
//     gave a line to;
//   - a row that switches file (and is not ignored) ends the previous
//     file's range at its address; gdb's end marker there discards the
//     previous file's rows at that same address;
//   - a row that repeats the previous row's file and line is dropped only
//     when the line has had a non-zero discriminator (gdb PR 17276): it
//     starts no new line, while a plain repeat is kept, since lineAt's walk
//     back to a statement row must stop at it.
//
// Rows of line 0 are kept: lineAt gives them no position.
type lineKeeper struct {
	started      bool // a row of the current sequence was seen
	lastFile     uint32
	lastLine     uint32
	lastAddr     uint64
	stmtAtAddr   bool // a statement row was seen at lastAddr
	discriminate bool // the current line has had a non-zero discriminator
}

// add appends row to rows, hidden if gdb would not keep it, and returns
// rows.
func (k *lineKeeper) add(rows []lineRow, row lineRow, discriminator bool) []lineRow {
	if row.endSeq {
		*k = lineKeeper{}
		return append(rows, row)
	}
	if !k.started {
		k.started = true
		k.lastFile, k.lastLine, k.lastAddr = row.file, row.line, row.addr
		k.stmtAtAddr, k.discriminate = row.stmt, discriminator
		return append(rows, row)
	}
	fileChanged := row.file != k.lastFile
	sameAddr := row.addr == k.lastAddr
	if row.line != k.lastLine {
		k.discriminate = false
	}
	k.discriminate = k.discriminate || discriminator
	ignore := fileChanged && sameAddr && !row.stmt && k.stmtAtAddr
	if !sameAddr {
		k.stmtAtAddr = false
		k.lastAddr = row.addr
	}
	k.stmtAtAddr = k.stmtAtAddr || row.stmt
	if ignore {
		row.hidden = true
		return append(rows, row)
	}
	if fileChanged && sameAddr {
		for i := len(rows) - 1; i >= 0 && rows[i].addr == row.addr && !rows[i].endSeq; i-- {
			if rows[i].file == k.lastFile {
				rows[i].hidden = true
			}
		}
	}
	row.hidden = !fileChanged && row.line == k.lastLine && k.discriminate
	k.lastFile, k.lastLine = row.file, row.line
	return append(rows, row)
}

// lineAt returns the line-table position of fileAddr. The file and line
// are chosen as gdb's find_pc_sect_line does, among the rows gdb keeps (not
// hidden): the last row at or below the address; if that row is not a
// statement, a statement row of the same file at that same address before
// it, if there is one. The column, which gdb does not print, is that of the
// last row at or below the address, as eu-addr2line gives it, when that row
// is on the chosen line; else the chosen row's. An address past a
// sequence's end, or on a row of line 0, has no position.
func (u *unitIndex) lineAt(fileAddr uint64) (file string, line, col int, ok bool) {
	rows := u.rows
	last := sort.Search(len(rows), func(i int) bool { return rows[i].addr > fileAddr }) - 1
	i := last
	// The first row of a sequence is never hidden, so this stays in the
	// sequence of last.
	for i >= 0 && rows[i].hidden {
		i--
	}
	if i < 0 || rows[i].endSeq {
		return "", 0, 0, false
	}
	if !rows[i].stmt {
		for k := i - 1; k >= 0 && rows[k].addr == rows[i].addr && !rows[k].endSeq && rows[k].line != 0; k-- {
			if !rows[k].hidden && rows[k].file == rows[i].file && rows[k].stmt {
				i = k
				break
			}
		}
	}
	r := rows[i]
	if r.line == 0 {
		return "", 0, 0, false
	}
	col = int(r.col)
	if l := rows[last]; l.file == r.file && l.line == r.line {
		col = int(l.col)
	}
	return u.fileName(int(r.file)), int(r.line), col, true
}

func (u *unitIndex) fileName(i int) string {
	if i < 0 || i >= len(u.files) {
		return ""
	}
	return u.files[i]
}

// readScopes walks the unit's DIEs once, keeping the functions and inlined
// calls that have code. Lexical blocks and namespaces are looked through;
// types and the children of code-less DIEs (declarations, abstract
// instances) are skipped without decoding.
func (u *unitIndex) readScopes(d *dwarf.Data, r *dwarf.Reader, maxEntries int) error {
	// stack[k] is the scope enclosing the DIEs at depth k+1, or -1.
	stack := []int32{-1}
	for n := 0; len(stack) > 0; n++ {
		if n > maxEntries {
			return errNoProgress
		}
		e, err := r.Next()
		if err != nil {
			return err
		}
		if e == nil {
			break // a cut unit: keep what was read, sorted
		}
		if e.Tag == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		parent := stack[len(stack)-1]
		switch e.Tag {
		case dwarf.TagSubprogram, dwarf.TagInlinedSubroutine:
			rs, _ := d.Ranges(e)
			rs = dropZeroRanges(rs)
			if len(rs) == 0 {
				if e.Children {
					r.SkipChildren()
				}
				continue
			}
			if len(u.scopes) >= maxUnitScopes {
				return errUnitTooBig
			}
			sc := scope{ranges: rs, origin: e.Offset}
			for _, a := range []dwarf.Attr{dwarf.AttrAbstractOrigin, dwarf.AttrSpecification} {
				if o, ok := e.Val(a).(dwarf.Offset); ok {
					sc.origin = o
					break
				}
			}
			if e.Tag == dwarf.TagInlinedSubroutine {
				sc.callFile = int(intVal(e, dwarf.AttrCallFile))
				sc.callLine = int(intVal(e, dwarf.AttrCallLine))
				sc.callCol = int(intVal(e, dwarf.AttrCallColumn))
			}
			idx := int32(len(u.scopes))
			u.scopes = append(u.scopes, sc)
			if parent >= 0 {
				u.scopes[parent].children = append(u.scopes[parent].children, idx)
			} else {
				for _, rg := range rs {
					u.top = append(u.top, addrRange{rg[0], rg[1], uint64(idx)})
				}
			}
			if e.Children {
				if len(stack) >= maxScopeDepth {
					r.SkipChildren()
					continue
				}
				stack = append(stack, idx)
			}
		case dwarf.TagLexDwarfBlock, dwarf.TagNamespace, dwarf.TagModule:
			if e.Children {
				if len(stack) >= maxScopeDepth {
					r.SkipChildren()
					continue
				}
				stack = append(stack, parent)
			}
		default:
			if e.Children {
				r.SkipChildren()
			}
		}
	}
	sort.Slice(u.top, func(i, j int) bool { return u.top[i].lo < u.top[j].lo })
	return nil
}

func dropZeroRanges(rs [][2]uint64) [][2]uint64 {
	out := rs[:0]
	for _, r := range rs {
		if r[0] != 0 && r[1] > r[0] {
			out = append(out, r)
		}
	}
	return out
}

func intVal(e *dwarf.Entry, a dwarf.Attr) int64 {
	switch v := e.Val(a).(type) {
	case int64:
		return v
	case uint64:
		return int64(v)
	}
	return 0
}

func (sc *scope) contains(addr uint64) bool {
	for _, r := range sc.ranges {
		if addr >= r[0] && addr < r[1] {
			return true
		}
	}
	return false
}

// scopesAt returns the chain of scopes holding fileAddr, outermost (the
// function) first, innermost inlined call last.
func (u *unitIndex) scopesAt(fileAddr uint64) []int32 {
	ref, ok := findRange(u.top, fileAddr)
	if !ok {
		return nil
	}
	cur := int32(ref)
	chain := []int32{cur}
	for depth := 0; depth < maxScopeDepth; depth++ {
		next := int32(-1)
		for _, c := range u.scopes[cur].children {
			if u.scopes[c].contains(fileAddr) {
				next = c
				break
			}
		}
		if next < 0 {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}
