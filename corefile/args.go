package corefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Limits for recovering the command line from the initial stack.
const (
	maxArgSearch   = 4 << 20  // bytes below AT_EXECFN searched for the auxv copy
	argSearchStart = 64 << 10 // the first window of that search
	maxArgs        = 1 << 16  // argv plus envp entries
	maxArgLen      = 128 << 10
	// maxArgBytes caps the string bytes read for argv and the
	// environment together. The kernel's own limit (ARG_MAX, a quarter of
	// the stack rlimit) is far larger, and a hostile stack can aim every
	// pointer at one long run without a NUL: 131,072 strings of 128 KiB.
	maxArgBytes = 1 << 20
)

// CommandLine is argv and the environment as the initial stack holds them.
type CommandLine struct {
	Argv, Envp []string
	// Cut says what was not read in full because of the caps (a string
	// longer than 128 KiB, all strings past 1 MiB in total), or is "".
	Cut string
}

// Args is CommandLine without the note of what was cut.
func (m *Memory) Args() (argv, envp []string, ok bool) {
	cl, ok := m.CommandLine()
	return cl.Argv, cl.Envp, ok
}

// CommandLine recovers the full argv and environment from the process's
// initial stack. The kernel lays it out (fs/binfmt_elf.c create_elf_tables)
// as argc, argv[], NULL, envp[], NULL, auxv[], AT_NULL, ... strings.
// NT_AUXV is a copy of that auxv, so finding those bytes on the stack and
// walking back gives envp and then argv: reading words downwards, the env
// pointers end at argv's NULL, and argv ends at the word equal to the
// number of pointers read (argc). ok is false when the stack does not hold
// them. Strings are read argv first, within maxArgBytes together; a
// pointer seen before shares its string.
func (m *Memory) CommandLine() (cl CommandLine, ok bool) {
	c := m.core
	execfn, has := c.Aux(AT_EXECFN)
	if !has || len(c.Auxv) < 2 {
		return cl, false
	}
	mp := c.Mapping(execfn)
	if mp == nil {
		return cl, false
	}
	// The window searched grows from 64 KiB below AT_EXECFN (the strings
	// of a usual command line and environment, and the pointers below
	// them, fit in a few) to maxArgSearch: reading 4 MiB of a main
	// stack into fresh memory for every core took 1,000 page faults. The
	// tables are found as a search of the whole window finds them: the
	// copy of auxv found is the one nearest AT_EXECFN.
	var envPtrs, argPtrs []uint64
	for size := uint64(argSearchStart); ; size *= 4 {
		lo, whole := mp.Start, true
		if execfn-lo > min(size, maxArgSearch) {
			// Aligned as the auxv copy is: its offset in buf is
			// checked for 8-byte alignment below, and AT_EXECFN's
			// string may start anywhere.
			lo, whole = (execfn-min(size, maxArgSearch))&^7, size >= maxArgSearch
		}
		var found bool
		envPtrs, argPtrs, found = m.argTables(lo, execfn)
		if found {
			break
		}
		if whole {
			return cl, false
		}
	}
	r := argReader{m: m, budget: maxArgBytes, seen: map[uint64]string{}}
	cl.Argv = r.read(argPtrs, true)
	cl.Envp = r.read(envPtrs, false)
	var cut []string
	if r.long > 0 {
		cut = append(cut, fmt.Sprintf("%d strings longer than %d KiB cut there", r.long, maxArgLen>>10))
	}
	if r.left > 0 {
		cut = append(cut, fmt.Sprintf("%d strings past the %d MiB read for argv and the environment together left out (%d argv, %d environment)", r.left, maxArgBytes>>20, r.leftArgv, r.left-r.leftArgv))
	}
	cl.Cut = strings.Join(cut, "; ")
	return cl, true
}

// argTables finds, in the stack bytes [lo, execfn), the copy of auxv
// nearest execfn, and reads the envp and argv pointers below it; found is
// false when the bytes do not hold them (whole, or not starting there).
func (m *Memory) argTables(lo, execfn uint64) (envPtrs, argPtrs []uint64, found bool) {
	c := m.core
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
	return envPtrs, argPtrs, true
}

// argReader reads the strings of argv and envp within one byte budget.
type argReader struct {
	m      *Memory
	budget int
	seen   map[uint64]string
	// long counts strings cut at maxArgLen or at the budget; left counts
	// strings not read at all once the budget was spent, leftArgv those
	// of argv.
	long, left, leftArgv int
}

// read reads the strings ptrs point to; ptrs is in stack order from the
// top down, so it is walked backwards. Once the budget is spent, the
// remaining strings are left out rather than printed as empty: an empty
// argument is a real one.
func (r *argReader) read(ptrs []uint64, argv bool) []string {
	out := make([]string, 0, len(ptrs))
	for k := len(ptrs) - 1; k >= 0; k-- {
		p := ptrs[k]
		if s, ok := r.seen[p]; ok {
			out = append(out, s)
			continue
		}
		if r.budget <= 0 {
			r.left++
			if argv {
				r.leftArgv++
			}
			continue
		}
		limit := min(maxArgLen, r.budget)
		s, err := r.m.ReadCString(p, limit+1)
		if err != nil {
			s = "?"
		}
		if len(s) > limit {
			s = s[:limit]
			r.long++
		}
		r.budget -= len(s) + 1
		r.seen[p] = s
		out = append(out, s)
	}
	return out
}
