package report

import "fmt"

// Words for sizes and counts in the diagnoses' sentences.

// HumanBytes writes a size for a sentence: whole units when exact, one
// decimal otherwise ("8 MiB", "1028 KiB", "1.5 KiB", "12 bytes").
func HumanBytes(n uint64) string {
	switch {
	case n >= 1<<40:
		// A wild pointer's distance from the nearest mapping.
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20 && n < 16<<20 && n%(1<<10) == 0:
		// 1028 KiB says "1 MiB plus a page", which 1.0 MiB hides.
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Commas writes n with thousands separators: 10,598.
func Commas(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// distance prints a byte distance exactly when it is small enough to
// matter byte by byte, and in KiB/MiB otherwise.
func Distance(n uint64) string {
	if n < 1<<20 {
		if n == 1 {
			return "1 byte"
		}
		return Commas(int(n)) + " bytes"
	}
	return HumanBytes(n)
}

// StackGuardGap is the kernel's stack_guard_gap (the stack_guard_gap= boot
// parameter, 256 pages by default): the unmapped gap it keeps between a
// growable stack (the main stack) and the mapping below, which the stack
// never grows into.
const StackGuardGap = 256 << 12
