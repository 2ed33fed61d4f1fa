package safefile

import (
	"sync"
	"syscall"
)

// The address-space limit LimitAddressSpace manages: base bytes for what
// the process allocates, plus the sizes of the files Map has mapped.
var (
	asMu     sync.Mutex
	asBase   uint64
	asMapped uint64
)

// LimitAddressSpace limits the process's address space (RLIMIT_AS) to n
// bytes plus the size of every file Map maps, adjusted as files are mapped
// and unmapped: the limit is on what the process allocates (a scan
// worker's --max-memory), not on the cores and debug files it reads
// through mappings, which would otherwise make a 3 GB core fail a 4 GiB
// limit however little its analysis needs.
func LimitAddressSpace(n uint64) error {
	asMu.Lock()
	defer asMu.Unlock()
	asBase = n
	return setAS()
}

// setAS applies the limit; asMu is held.
func setAS() error {
	if asBase == 0 {
		return nil
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		return err
	}
	lim.Cur = min(asBase+asMapped, lim.Max)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
}

// reserveAS makes room in the limit for a mapping of size bytes (or gives
// it back, with a negative size).
func reserveAS(size int64) {
	asMu.Lock()
	defer asMu.Unlock()
	if asBase == 0 {
		return
	}
	asMapped = uint64(int64(asMapped) + size)
	setAS()
}
