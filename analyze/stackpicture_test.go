package analyze

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
	"github.com/coreview/coreview/report"
)

// TestStackPicture: for every fixture with a stack diagnosis, the picture
// draws each stack and guard at the addresses the diagnosis gives, high to
// low, marks the stack pointer and the fault in the mapping that holds
// them, accounts for every frame of the crashed thread on the stacks drawn,
// and marks where the stack pointer switched stacks.
func TestStackPicture(t *testing.T) {
	t.Parallel()
	drawn := 0
	for _, f := range testfixture.All(t) {
		r := fixtureReport(t, f)
		pic := render.StackPicture(r)
		var so *report.StackOverflow
		var segs *report.StackSegments
		for _, d := range r.Diagnosis {
			if d.StackOverflow != nil && so == nil {
				so = d.StackOverflow
			}
			if d.StackSegments != nil {
				segs = d.StackSegments
			}
		}
		if so == nil && segs == nil {
			if pic != nil {
				t.Errorf("%s: a picture without a stack diagnosis", f.Name)
			}
			continue
		}
		drawn++
		text := strings.Join(pic, "\n")
		// Addresses at the left edge, high to low.
		var addrs []uint64
		for _, l := range pic {
			if m := regexp.MustCompile(`^\s*(0x[0-9a-f]+) [┬┼┴]`).FindStringSubmatch(l); m != nil {
				a, _ := strconv.ParseUint(m[1], 0, 64)
				addrs = append(addrs, a)
			}
		}
		for i := 1; i < len(addrs); i++ {
			if addrs[i] >= addrs[i-1] {
				t.Errorf("%s: addresses not descending: %#x after %#x\n%s", f.Name, addrs[i], addrs[i-1], text)
			}
		}
		has := func(a report.Addr) bool {
			for _, x := range addrs {
				if x == uint64(a) {
					return true
				}
			}
			return false
		}
		if segs != nil {
			frames := 0
			for _, s := range segs.Segments {
				if !has(s.Start) || !has(s.End) {
					t.Errorf("%s: segment [%#x, %#x) not drawn\n%s", f.Name, s.Start, s.End, text)
				}
				frames += s.LastFrame - s.FirstFrame + 1
			}
			for _, sw := range segs.Switches {
				if !strings.Contains(text, fmt.Sprintf("called from #%d %s on another", sw.Frame, sw.Function)) {
					t.Errorf("%s: the switch at #%d is not marked\n%s", f.Name, sw.Frame, text)
				}
			}
		}
		if so != nil {
			if !has(so.Stack.End) || !has(so.Stack.Start) {
				t.Errorf("%s: the overflowed stack [%#x, %#x) is not drawn\n%s", f.Name, so.Stack.Start, so.Stack.End, text)
			}
			if !strings.Contains(text, fmt.Sprintf("✗ fault %#x", uint64(so.FaultAddress))) || !strings.Contains(text, fmt.Sprintf("◀ sp %#x", uint64(so.SP))) {
				t.Errorf("%s: fault or stack pointer not marked\n%s", f.Name, text)
			}
			guard := "guard page"
			if so.Stack.Gap {
				guard = "stack guard gap"
			}
			if !strings.Contains(text, guard) {
				t.Errorf("%s: no %s\n%s", f.Name, guard, text)
			}
		}
		// Every frame on a drawn stack is counted once.
		counted := 0
		for _, m := range regexp.MustCompile(`│  ([0-9,]+) frames?,`).FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
			counted += n
		}
		var crashed *report.Thread
		for i := range r.Threads {
			if r.Threads[i].Crashed {
				crashed = &r.Threads[i]
			}
		}
		onStacks := 0
		for _, fr := range crashed.Frames {
			if inDrawnStack(r, fr.SP) {
				onStacks++
			}
		}
		if counted != onStacks {
			t.Errorf("%s: %d frames counted, %d frames on the stacks drawn\n%s", f.Name, counted, onStacks, text)
		}
	}
	if drawn < 5 {
		t.Errorf("only %d fixtures have a stack picture", drawn)
	}
}

// inDrawnStack reports whether a stack pointer lies in a stack (not a
// guard) that a stack diagnosis names.
func inDrawnStack(r *report.Report, sp report.Addr) bool {
	for _, d := range r.Diagnosis {
		if s := d.StackSegments; s != nil {
			for _, seg := range s.Segments {
				if sp >= seg.Start && sp < seg.End {
					return true
				}
			}
			return false
		}
	}
	for _, d := range r.Diagnosis {
		if so := d.StackOverflow; so != nil {
			return sp >= so.Stack.Start && sp < so.Stack.End
		}
	}
	return false
}
