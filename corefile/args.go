package corefile

import (
	"bytes"
	"encoding/binary"
)

// Limits for recovering the command line from the initial stack.
const (
	maxArgSearch = 4 << 20 // bytes below AT_EXECFN searched for the auxv copy
	maxArgs      = 1 << 16 // argv plus envp entries
	maxArgLen    = 128 << 10
)

// Args recovers the full argv and environment from the process's initial
// stack. The kernel lays it out (fs/binfmt_elf.c create_elf_tables) as argc,
// argv[], NULL, envp[], NULL, auxv[], AT_NULL, ... strings. NT_AUXV is a copy
// of that auxv, so finding those bytes on the stack and walking back gives
// envp and then argv: reading words downwards, the env pointers end at
// argv's NULL, and argv ends at the word equal to the number of pointers
// read (argc). ok is false when the stack does not hold them.
func (m *Memory) Args() (argv, envp []string, ok bool) {
	c := m.core
	execfn, has := c.Aux(AT_EXECFN)
	if !has || len(c.Auxv) < 2 {
		return nil, nil, false
	}
	mp := c.Mapping(execfn)
	if mp == nil {
		return nil, nil, false
	}
	lo := mp.Start
	if execfn-lo > maxArgSearch {
		lo = execfn - maxArgSearch
	}
	buf := make([]byte, execfn-lo)
	if n, _ := m.ReadAt(buf, lo); n < len(buf) {
		return nil, nil, false
	}
	var pat [32]byte
	for i := 0; i < 2; i++ {
		binary.LittleEndian.PutUint64(pat[16*i:], c.Auxv[i].Type)
		binary.LittleEndian.PutUint64(pat[16*i+8:], c.Auxv[i].Val)
	}
	at := bytes.LastIndex(buf, pat[:])
	if at < 16 || at%8 != 0 {
		return nil, nil, false
	}
	word := func(i int) (uint64, bool) {
		if i < 0 || i+8 > len(buf) {
			return 0, false
		}
		return binary.LittleEndian.Uint64(buf[i:]), true
	}
	i := at - 8
	if w, ok := word(i); !ok || w != 0 {
		return nil, nil, false
	}
	var envPtrs, argPtrs []uint64
	for i -= 8; ; i -= 8 {
		w, ok := word(i)
		if !ok || len(envPtrs) > maxArgs {
			return nil, nil, false
		}
		if w == 0 {
			break
		}
		envPtrs = append(envPtrs, w)
	}
	for i -= 8; ; i -= 8 {
		w, ok := word(i)
		if !ok || len(argPtrs) > maxArgs {
			return nil, nil, false
		}
		if w == uint64(len(argPtrs)) {
			break
		}
		argPtrs = append(argPtrs, w)
	}
	read := func(ptrs []uint64) []string {
		out := make([]string, 0, len(ptrs))
		for k := len(ptrs) - 1; k >= 0; k-- {
			s, err := m.ReadCString(ptrs[k], maxArgLen)
			if err != nil {
				s = "?"
			}
			out = append(out, s)
		}
		return out
	}
	return read(argPtrs), read(envPtrs), true
}
