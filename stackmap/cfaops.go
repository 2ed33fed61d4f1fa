package stackmap

import "fmt"

// Call frame instructions (DWARF 5, 6.4.2 and table 7.29; .eh_frame uses
// the same, LSB 5.0 10.6.1, plus the GNU opcodes). The names are the
// spec's, as debug/elf keeps PT_LOAD.
const (
	// Primary opcodes: the high two bits are the opcode, the low six an
	// operand (a delta or a register).
	DW_CFA_advance_loc = 0x40
	DW_CFA_offset      = 0x80
	DW_CFA_restore     = 0xc0

	DW_CFA_nop                          = 0x00
	DW_CFA_set_loc                      = 0x01
	DW_CFA_advance_loc1                 = 0x02
	DW_CFA_advance_loc2                 = 0x03
	DW_CFA_advance_loc4                 = 0x04
	DW_CFA_offset_extended              = 0x05
	DW_CFA_restore_extended             = 0x06
	DW_CFA_undefined                    = 0x07
	DW_CFA_same_value                   = 0x08
	DW_CFA_register                     = 0x09
	DW_CFA_remember_state               = 0x0a
	DW_CFA_restore_state                = 0x0b
	DW_CFA_def_cfa                      = 0x0c
	DW_CFA_def_cfa_register             = 0x0d
	DW_CFA_def_cfa_offset               = 0x0e
	DW_CFA_def_cfa_expression           = 0x0f
	DW_CFA_expression                   = 0x10
	DW_CFA_offset_extended_sf           = 0x11
	DW_CFA_def_cfa_sf                   = 0x12
	DW_CFA_def_cfa_offset_sf            = 0x13
	DW_CFA_val_offset                   = 0x14
	DW_CFA_val_offset_sf                = 0x15
	DW_CFA_val_expression               = 0x16
	DW_CFA_GNU_args_size                = 0x2e
	DW_CFA_GNU_negative_offset_extended = 0x2f
)

// cfaOperand is the encoding of one operand of a call frame instruction.
type cfaOperand uint8

const (
	operandNone   cfaOperand = iota
	operandReg               // ULEB128 register number
	operandULEB              // ULEB128 (an offset, factored or not as the opcode says)
	operandSLEB              // SLEB128
	operandDelta1            // 1-byte advance
	operandDelta2            // 2-byte advance
	operandDelta4            // 4-byte advance
	operandAddr              // a target address (8 bytes on x86-64)
	operandBlock             // ULEB128 length, then that many bytes: a DWARF expression
)

// cfaOpcodes is the one operand table: each extended opcode's name and the
// encodings of its operands, in order (DWARF 5 table 7.29). Decoding,
// execution and the frame-size walk all read instructions through it.
var cfaOpcodes = [0x40]struct {
	name     string
	operands [2]cfaOperand
}{
	DW_CFA_nop:                          {"DW_CFA_nop", [2]cfaOperand{}},
	DW_CFA_set_loc:                      {"DW_CFA_set_loc", [2]cfaOperand{operandAddr}},
	DW_CFA_advance_loc1:                 {"DW_CFA_advance_loc1", [2]cfaOperand{operandDelta1}},
	DW_CFA_advance_loc2:                 {"DW_CFA_advance_loc2", [2]cfaOperand{operandDelta2}},
	DW_CFA_advance_loc4:                 {"DW_CFA_advance_loc4", [2]cfaOperand{operandDelta4}},
	DW_CFA_offset_extended:              {"DW_CFA_offset_extended", [2]cfaOperand{operandReg, operandULEB}},
	DW_CFA_restore_extended:             {"DW_CFA_restore_extended", [2]cfaOperand{operandReg}},
	DW_CFA_undefined:                    {"DW_CFA_undefined", [2]cfaOperand{operandReg}},
	DW_CFA_same_value:                   {"DW_CFA_same_value", [2]cfaOperand{operandReg}},
	DW_CFA_register:                     {"DW_CFA_register", [2]cfaOperand{operandReg, operandReg}},
	DW_CFA_remember_state:               {"DW_CFA_remember_state", [2]cfaOperand{}},
	DW_CFA_restore_state:                {"DW_CFA_restore_state", [2]cfaOperand{}},
	DW_CFA_def_cfa:                      {"DW_CFA_def_cfa", [2]cfaOperand{operandReg, operandULEB}},
	DW_CFA_def_cfa_register:             {"DW_CFA_def_cfa_register", [2]cfaOperand{operandReg}},
	DW_CFA_def_cfa_offset:               {"DW_CFA_def_cfa_offset", [2]cfaOperand{operandULEB}},
	DW_CFA_def_cfa_expression:           {"DW_CFA_def_cfa_expression", [2]cfaOperand{operandBlock}},
	DW_CFA_expression:                   {"DW_CFA_expression", [2]cfaOperand{operandReg, operandBlock}},
	DW_CFA_offset_extended_sf:           {"DW_CFA_offset_extended_sf", [2]cfaOperand{operandReg, operandSLEB}},
	DW_CFA_def_cfa_sf:                   {"DW_CFA_def_cfa_sf", [2]cfaOperand{operandReg, operandSLEB}},
	DW_CFA_def_cfa_offset_sf:            {"DW_CFA_def_cfa_offset_sf", [2]cfaOperand{operandSLEB}},
	DW_CFA_val_offset:                   {"DW_CFA_val_offset", [2]cfaOperand{operandReg, operandULEB}},
	DW_CFA_val_offset_sf:                {"DW_CFA_val_offset_sf", [2]cfaOperand{operandReg, operandSLEB}},
	DW_CFA_val_expression:               {"DW_CFA_val_expression", [2]cfaOperand{operandReg, operandBlock}},
	DW_CFA_GNU_args_size:                {"DW_CFA_GNU_args_size", [2]cfaOperand{operandULEB}},
	DW_CFA_GNU_negative_offset_extended: {"DW_CFA_GNU_negative_offset_extended", [2]cfaOperand{operandReg, operandULEB}},
}

// cfaInsn is one decoded call frame instruction.
type cfaInsn struct {
	op   uint8  // the opcode; a primary opcode with its low six bits cleared
	reg  uint64 // the first register operand
	u    uint64 // the unsigned operand: a delta, an address, a ULEB128 offset, a second register
	s    int64  // the SLEB128 operand
	expr []byte // the block operand
}

// cfaOpName names an opcode as the spec does.
func cfaOpName(op uint8) string {
	switch op & 0xc0 {
	case DW_CFA_advance_loc:
		return "DW_CFA_advance_loc"
	case DW_CFA_offset:
		return "DW_CFA_offset"
	case DW_CFA_restore:
		return "DW_CFA_restore"
	}
	if n := cfaOpcodes[op].name; n != "" {
		return n
	}
	return fmt.Sprintf("opcode %#x", op)
}

// errUnknownOpcode marks an opcode the operand table does not have.
type errUnknownOpcode uint8

func (e errUnknownOpcode) Error() string { return fmt.Sprintf("unknown opcode %#x", uint8(e)) }

// decodeCFA reads the instruction at rd's offset. A truncated operand
// leaves rd.err set.
func decodeCFA(rd *reader) (cfaInsn, error) {
	b := rd.u8()
	if rd.err != nil {
		return cfaInsn{}, rd.err
	}
	switch b & 0xc0 {
	case DW_CFA_advance_loc:
		return cfaInsn{op: DW_CFA_advance_loc, u: uint64(b & 0x3f)}, nil
	case DW_CFA_offset:
		return cfaInsn{op: DW_CFA_offset, reg: uint64(b & 0x3f), u: rd.uleb()}, rd.err
	case DW_CFA_restore:
		return cfaInsn{op: DW_CFA_restore, reg: uint64(b & 0x3f)}, nil
	}
	spec := cfaOpcodes[b]
	if spec.name == "" {
		return cfaInsn{op: b}, errUnknownOpcode(b)
	}
	in := cfaInsn{op: b}
	regs := 0
	for _, o := range spec.operands {
		switch o {
		case operandReg:
			if regs == 0 {
				in.reg = rd.uleb()
			} else {
				in.u = rd.uleb()
			}
			regs++
		case operandULEB:
			in.u = rd.uleb()
		case operandSLEB:
			in.s = rd.sleb()
		case operandDelta1:
			in.u = uint64(rd.u8())
		case operandDelta2:
			in.u = uint64(rd.u16())
		case operandDelta4:
			in.u = uint64(rd.u32())
		case operandAddr:
			in.u = rd.u64()
		case operandBlock:
			in.expr = rd.bytes(rd.uleb())
			if in.expr == nil && rd.err == nil {
				in.expr = []byte{}
			}
		}
	}
	return in, rd.err
}
