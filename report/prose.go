package report

import (
	"fmt"
	"strings"
)

// A list inside a sentence is bounded: a 63,873-frame C-stack overflow in
// python must not make a 1.5 MB summary. A long list keeps its first
// listHead and last listTail items, and says how many it left out between.
const (
	listHead = 4
	listTail = 3
)

// boundedList joins items with sep; past listHead+listTail items the middle
// ones become one "… (N more) …" item: "a → b → c → d → … (63,866 more) …
// → x → y → z".
func boundedList(items []string, sep string) string {
	if len(items) <= listHead+listTail+1 {
		return strings.Join(items, sep)
	}
	parts := make([]string, 0, listHead+listTail+1)
	parts = append(parts, items[:listHead]...)
	parts = append(parts, fmt.Sprintf("… (%s more) …", Commas(len(items)-listHead-listTail)))
	parts = append(parts, items[len(items)-listTail:]...)
	return strings.Join(parts, sep)
}

// boundedLines bounds a list of explanation lines the same way: the first
// listHead and last listTail lines, and one line saying how many of what
// (a plural noun, "stack switches") were left out between them.
func boundedLines(lines []string, what string) []string {
	if len(lines) <= listHead+listTail+1 {
		return lines
	}
	out := make([]string, 0, listHead+listTail+1)
	out = append(out, lines[:listHead]...)
	out = append(out, fmt.Sprintf("… and %s more %s …", Commas(len(lines)-listHead-listTail), what))
	return append(out, lines[len(lines)-listTail:]...)
}
