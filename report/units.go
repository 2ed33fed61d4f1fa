package report

import "fmt"

// Byte counts and numbers in words, the same in the diagnoses' sentences
// (analyze) and the renderers' pictures (render).

// Bytes writes a size in IEC units: exact when it is a whole number of
// them ("4 KiB", "8 MiB"), else one decimal ("1.5 KiB"); below 1 KiB in
// bytes.
func Bytes(n uint64) string {
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

// Distance writes a byte distance exactly when it is small enough to
// matter byte by byte ("1 byte", "4,096 bytes"), and in KiB/MiB otherwise.
func Distance(n uint64) string {
	if n < 1<<20 {
		if n == 1 {
			return "1 byte"
		}
		return Commas(int(n)) + " bytes"
	}
	return Bytes(n)
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
