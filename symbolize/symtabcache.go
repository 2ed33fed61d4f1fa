package symbolize

import (
	"encoding/binary"
	"io"
	"os"
	"strconv"
	"syscall"

	"github.com/coreview/coreview/internal/diskcache"
)

// A module's sorted symbol index (symtab.funcs and objects) is kept in the
// persistent cache too: sorting librustc_driver's 165,000 symbols and
// choosing among their aliases is most of reading it. The entry is keyed by
// the identity of every file the tables came from (the module's, and its
// debug file's when that gave the .symtab); names stay offsets into the
// string tables, which are the files' own, read in the same order; every
// offset is checked against its table on the way in. A table with dropped
// symbols (symtab.err) is not cached.

const symtabCacheVersion = "symtab 3"

// fileIdentity is path, device, inode, size and modification time of fh,
// "" when unknown.
func fileIdentity(fh *os.File, path string) string {
	if fh == nil {
		return ""
	}
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return diskcache.Key(path, strconv.FormatUint(st.Dev, 10), strconv.FormatUint(st.Ino, 10),
		strconv.FormatInt(fi.Size(), 10), strconv.FormatInt(fi.ModTime().UnixNano(), 10))
}

// symSize is an encoded sym: addr u64, size u64, name u32, tab u8, flags
// u8 (symFlags).
const symSize = 22

// encodeSyms appends the count of syms and each of them.
func encodeSyms(b []byte, syms []sym) []byte {
	return appendSyms(binary.LittleEndian.AppendUint32(b, uint32(len(syms))), syms)
}

func appendSyms(b []byte, syms []sym) []byte {
	for _, s := range syms {
		b = binary.LittleEndian.AppendUint64(b, s.addr)
		b = binary.LittleEndian.AppendUint64(b, s.size)
		b = binary.LittleEndian.AppendUint32(b, s.name)
		b = append(b, s.tab, byte(s.flags))
	}
	return b
}

// nfuncs is how many functions st holds.
func (st *symtab) nfuncs() int {
	if st.encFuncs != nil {
		return len(st.encFuncs) / symSize
	}
	return len(st.funcs)
}

// funcAddr is the address of function i.
func (st *symtab) funcAddr(i int) uint64 {
	if st.encFuncs != nil {
		return binary.LittleEndian.Uint64(st.encFuncs[i*symSize:])
	}
	return st.funcs[i].addr
}

// funcAt is function i.
func (st *symtab) funcAt(i int) sym {
	if st.encFuncs != nil {
		return decodeSym(st.encFuncs[i*symSize:])
	}
	return st.funcs[i]
}

// allFuncs returns the functions, decoding them the first time when they
// are still encoded.
func (st *symtab) allFuncs() []sym {
	st.decodeOnce.Do(func() {
		if st.encFuncs != nil {
			st.funcs = decodeEntries(st.encFuncs)
		}
	})
	return st.funcs
}

func decodeSym(e []byte) sym {
	s := sym{addr: binary.LittleEndian.Uint64(e), size: binary.LittleEndian.Uint64(e[8:]),
		name: binary.LittleEndian.Uint32(e[16:]), tab: e[20]}
	s.flags = symFlags(e[21]) & (symLocal | symPLT | symDebug | symDyn)
	return s
}

// checkSyms checks what encodeSyms wrote as decodeSyms does, without
// decoding it: the entries, each name inside its string table, and the
// bytes after them.
func checkSyms(b []byte, strtabs [][]byte) (entries, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(n)*symSize > uint64(len(b)) || n > maxSymbols {
		return nil, nil, false
	}
	for i := range int(n) {
		e := b[i*symSize:]
		tab, name := e[20], binary.LittleEndian.Uint32(e[16:])
		if int(tab) >= len(strtabs) || uint64(name) >= uint64(len(strtabs[tab])) {
			return nil, nil, false
		}
	}
	return b[:int(n)*symSize], b[int(n)*symSize:], true
}

// decodeSyms reads what encodeSyms wrote, each name checked against its
// string table; ok is false for anything else.
func decodeSyms(b []byte, strtabs [][]byte) (syms []sym, rest []byte, ok bool) {
	entries, rest, ok := checkSyms(b, strtabs)
	if !ok {
		return nil, nil, false
	}
	return decodeEntries(entries), rest, true
}

// decodeEntries decodes entries checkSyms has checked.
func decodeEntries(entries []byte) []sym {
	syms := make([]sym, len(entries)/symSize)
	for i := range syms {
		syms[i] = decodeSym(entries[i*symSize:])
	}
	return syms
}

// cachedSymtab returns the index stored under key for string tables
// strtabs, if the cache has a sound one.
func cachedSymtab(c *diskcache.Cache, key string, strtabs [][]byte, ownSymtab bool) (*symtab, bool) {
	b, ok := c.Get(key)
	if !ok {
		return nil, false
	}
	return cachedSymtabBytes(b, strtabs, ownSymtab)
}

// cachedSymtabBytes decodes an entry's data.
func cachedSymtabBytes(b []byte, strtabs [][]byte, ownSymtab bool) (*symtab, bool) {
	if len(b) < 1 || (b[0] != 0) != ownSymtab {
		return nil, false
	}
	funcs, rest, ok := checkSyms(b[1:], strtabs)
	if !ok {
		return nil, false
	}
	objects, rest, ok := decodeSyms(rest, strtabs)
	if !ok {
		return nil, false
	}
	tls, rest, ok := decodeSyms(rest, strtabs)
	if !ok || len(rest) != 0 || len(tls) > maxTLSSymbols {
		return nil, false
	}
	// The functions stay encoded, in the entry's mapping (diskcache.Get),
	// valid until the table closes: an empty list is a slice, not nil.
	return &symtab{strtabs: strtabs, encFuncs: funcs[:len(funcs):len(funcs)], objects: objects, tls: tls, ownSymtab: ownSymtab}, true
}

// saveSymtab stores st under key, encoded as it is written (librustc_
// driver's index is megabytes).
func saveSymtab(c *diskcache.Cache, key string, st *symtab) {
	if st.err != nil {
		return
	}
	n := 1 + 4 + 4 + 4 + int64(st.nfuncs()+len(st.objects)+len(st.tls))*symSize
	c.PutStream(key, n, func(w io.Writer) error {
		flag := []byte{0}
		if st.ownSymtab {
			flag[0] = 1
		}
		if _, err := w.Write(flag); err != nil {
			return err
		}
		for _, syms := range [][]sym{st.allFuncs(), st.objects, st.tls} {
			buf := make([]byte, 0, 4096*symSize)
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(syms)))
			for i := 0; i < len(syms); i += 4096 {
				buf = appendSyms(buf, syms[i:min(i+4096, len(syms))])
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}
