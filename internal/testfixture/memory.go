package testfixture

import "errors"

// FlatMemory is memory that holds B at Base and nothing else: a read
// outside it fails, one running off its end returns what it got and an
// error.
type FlatMemory struct {
	Base uint64
	B    []byte
}

// ReadAt reads len(p) bytes at addr.
func (m FlatMemory) ReadAt(p []byte, addr uint64) (int, error) {
	if addr < m.Base || addr-m.Base >= uint64(len(m.B)) {
		return 0, errors.New("unmapped")
	}
	n := copy(p, m.B[addr-m.Base:])
	if n < len(p) {
		return n, errors.New("short")
	}
	return n, nil
}
