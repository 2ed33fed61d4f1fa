package cxxexception

import (
	"encoding/binary"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// FuzzFind looks for an exception in hostile memory, every aligned word a
// candidate pointer. It must not panic or hang.
func FuzzFind(f *testing.F) {
	seed := make([]byte, 256)
	const base = 0x10000
	binary.LittleEndian.PutUint64(seed[0:], base+160)      // exceptionType -> type_info
	binary.LittleEndian.PutUint64(seed[80:], primaryClass) // _Unwind_Exception
	binary.LittleEndian.PutUint64(seed[168:], base+192)    // type_info.__name
	copy(seed[192:], "St13runtime_error\x00")
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		var values []uint64
		for i := 0; i+8 <= len(b) && len(values) < 256; i += 8 {
			values = append(values, binary.LittleEndian.Uint64(b[i:]), base+uint64(i))
		}
		Find(testfixture.FlatMemory{Base: base, B: b}, values)
	})
}
