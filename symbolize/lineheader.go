package symbolize

import "fmt"

// checkLineHeader reads the DWARF 5 line program header at off in
// .debug_line far enough to check the two counts debug/dwarf allocates by
// (LineReader.readHeader makes a slice of directories_count, then one of
// file_names_count, before reading a single entry): each entry takes at
// least one byte per field, so a count larger than the bytes left in the
// table cannot be true. An out-of-memory in Go cannot be recovered, so the
// check must come first; FuzzDWARF found a header asking for 2^37
// directories. Versions 2–4 list directories and files up to a
// terminator, which debug/dwarf reads without trusting a count.
//
// The layout is DWARF 5 section 6.2.4: unit_length, version,
// address_size, segment_selector_size, header_length,
// minimum_instruction_length, maximum_operations_per_instruction,
// default_is_stmt, line_base, line_range, opcode_base,
// standard_opcode_lengths, then directory_entry_format_count and its
// (content type, form) pairs, directories_count and the directories, then
// the same for file names.
func checkLineHeader(line []byte, off uint64) error {
	if off >= uint64(len(line)) {
		return fmt.Errorf("line table offset %#x beyond .debug_line (%d bytes)", off, len(line))
	}
	b := &lineBuf{data: line, pos: off}
	n := b.fixed(4)
	dwarf64 := false
	if n == 0xffffffff {
		dwarf64, n = true, b.fixed(8)
	}
	end := b.pos + n
	if b.err != nil || n > uint64(len(line))-b.pos {
		return fmt.Errorf("line table at %#x: unit length %d beyond .debug_line", off, n)
	}
	b.data = line[:end]
	version := uint16(b.fixed(2))
	if b.err != nil || version < 5 {
		return b.err
	}
	b.skip(2) // address_size, segment_selector_size
	if dwarf64 {
		b.skip(8)
	} else {
		b.skip(4)
	}
	b.skip(5) // minimum_instruction_length … line_range
	opcodeBase := b.fixed(1)
	if opcodeBase > 0 {
		b.skip(opcodeBase - 1)
	}
	for _, what := range []string{"directories", "file names"} {
		nforms := b.fixed(1)
		forms := make([]uint64, 0, nforms)
		for i := uint64(0); i < nforms && b.err == nil; i++ {
			b.uleb() // content type
			forms = append(forms, b.uleb())
		}
		count := b.uleb()
		if b.err != nil {
			break
		}
		left := uint64(len(b.data)) - b.pos
		if count > 0 && (nforms == 0 || count > left/nforms) {
			return fmt.Errorf("line table at %#x: %d %s in %d bytes", off, count, what, left)
		}
		for i := uint64(0); i < count && b.err == nil; i++ {
			for _, form := range forms {
				b.skipForm(form, dwarf64)
			}
		}
	}
	if b.err != nil {
		return fmt.Errorf("line table at %#x: %w", off, b.err)
	}
	return nil
}

// lineBuf reads a line program header, recording the first overrun.
type lineBuf struct {
	data []byte
	pos  uint64
	err  error
}

func (b *lineBuf) fail(msg string) {
	if b.err == nil {
		b.err = fmt.Errorf("%s at %#x", msg, b.pos)
	}
	b.pos = uint64(len(b.data))
}

func (b *lineBuf) skip(n uint64) {
	if b.err != nil {
		return
	}
	if n > uint64(len(b.data))-b.pos {
		b.fail("header runs off the end of its table")
		return
	}
	b.pos += n
}

func (b *lineBuf) fixed(n int) uint64 {
	if b.err != nil {
		return 0
	}
	if uint64(n) > uint64(len(b.data))-b.pos {
		b.fail("header runs off the end of its table")
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b.data[b.pos+uint64(i)])
	}
	b.pos += uint64(n)
	return v
}

func (b *lineBuf) uleb() uint64 {
	var v uint64
	for shift := uint(0); b.err == nil; shift += 7 {
		if b.pos >= uint64(len(b.data)) {
			b.fail("truncated LEB128")
			return 0
		}
		c := b.data[b.pos]
		b.pos++
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 {
			return v
		}
	}
	return 0
}

// DWARF 5 forms a line header's entries use (section 7.5.6).
const (
	formBlock     = 0x09
	formBlock1    = 0x0a
	formData1     = 0x0b
	formData2     = 0x05
	formData4     = 0x06
	formData8     = 0x07
	formData16    = 0x1e
	formString    = 0x08
	formStrp      = 0x0e
	formLineStrp  = 0x1f
	formUdata     = 0x0f
	formStrx      = 0x1a
	formStrx1     = 0x25
	formStrx2     = 0x26
	formStrx3     = 0x27
	formStrx4     = 0x28
	formStrpSup   = 0x1d
	formSdata     = 0x0d
	formBlock2    = 0x03
	formBlock4    = 0x04
	formSecOffset = 0x17
)

// skipForm steps over one attribute value of the given form; a form a line
// header has no business using is an error.
func (b *lineBuf) skipForm(form uint64, dwarf64 bool) {
	offsetSize := uint64(4)
	if dwarf64 {
		offsetSize = 8
	}
	switch form {
	case formString:
		for b.err == nil {
			if b.pos >= uint64(len(b.data)) {
				b.fail("unterminated string")
				return
			}
			c := b.data[b.pos]
			b.pos++
			if c == 0 {
				return
			}
		}
	case formStrp, formLineStrp, formStrpSup, formSecOffset:
		b.skip(offsetSize)
	case formUdata, formSdata, formStrx:
		b.uleb()
	case formData1, formStrx1:
		b.skip(1)
	case formData2, formStrx2:
		b.skip(2)
	case formStrx3:
		b.skip(3)
	case formData4, formStrx4:
		b.skip(4)
	case formData8:
		b.skip(8)
	case formData16:
		b.skip(16)
	case formBlock, formBlock1, formBlock2, formBlock4:
		var n uint64
		switch form {
		case formBlock:
			n = b.uleb()
		case formBlock1:
			n = b.fixed(1)
		case formBlock2:
			n = b.fixed(2)
		default:
			n = b.fixed(4)
		}
		b.skip(n)
	default:
		b.fail(fmt.Sprintf("form %#x in a line header", form))
	}
}
