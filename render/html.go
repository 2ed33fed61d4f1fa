package render

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/coreview/coreview/report"
)

// HTMLOptions select what an HTML report holds.
type HTMLOptions struct {
	// Threads is "all" (or ""), "crashed", or a thread id.
	Threads string
	// NoCollapse prints every frame of a recursion.
	NoCollapse bool
}

// HTML writes the report as one self-contained page: no script, no
// network, no file beside it (styles inline, the picture an inline SVG).
// It holds what the Markdown report holds, the stack picture drawn as an
// SVG of the crashed thread's stacks (the guard and the fault marked), and
// the threads and memory map in collapsible sections.
func HTML(w io.Writer, r *report.Report, opts HTMLOptions) error {
	// Every string from the report goes through esc (sanitized and
	// escaped), so the page is written with plain Fprintf: the renderers'
	// printf would escape the newlines of the <pre> blocks.
	ew := &errWriter{w: w}
	esc := htmlText
	title := reportTitle(r)
	fmt.Fprintf(ew, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(title), htmlStyle)
	fmt.Fprintf(ew, "<h1>%s</h1>\n<dl>\n", esc(title))
	fmt.Fprintf(ew, "<dt>core</dt><dd><code>%s</code></dd>\n", esc(r.Core))
	fmt.Fprintf(ew, "<dt>process</dt><dd>%d <code>%s</code></dd>\n", r.Process.PID, esc(strings.Join(r.Process.Args, " ")))
	if r.Signal != nil {
		fmt.Fprintf(ew, "<dt>signal</dt><dd>%s (%s) in thread %d", esc(r.Signal.Name), esc(r.Signal.CodeName), r.Signal.Thread)
		if l := addressLine(r.Signal, func(a uint64) string { return fmt.Sprintf("%#x", a) }); l != "" {
			fmt.Fprintf(ew, ", address %s", esc(l))
		}
		fmt.Fprintf(ew, "</dd>\n")
	}
	if sd := r.SystemdRecord().Line(); sd != "" {
		fmt.Fprintf(ew, "<dt>systemd-coredump</dt><dd>%s</dd>\n", esc(sd))
	}
	fmt.Fprintf(ew, "<dt>signature</dt><dd><code>%s</code> (<code>%s</code>)</dd>\n</dl>\n", esc(r.Signature), esc(r.SignatureHash))
	for _, d := range r.Diagnosis {
		fmt.Fprintf(ew, "<section class=\"diagnosis\">\n<h2>%s</h2>\n<p>%s</p>\n", esc(string(d.Kind)), esc(d.Summary))
		if hints := d.Hints(); len(d.Explanation) > 0 || len(hints) > 0 {
			fmt.Fprintf(ew, "<ul>\n")
			for _, e := range d.Explanation {
				fmt.Fprintf(ew, "<li>%s</li>\n", esc(e))
			}
			for _, h := range hints {
				fmt.Fprintf(ew, "<li class=\"hint\">Hint: %s</li>\n", esc(h))
			}
			fmt.Fprintf(ew, "</ul>\n")
		}
		fmt.Fprintf(ew, "</section>\n")
	}
	if blocks := stackBlocks(r); blocks != nil {
		fmt.Fprintf(ew, "<section id=\"stacks\">\n<h2>The crashed thread's stacks</h2>\n%s\n<pre>%s</pre>\n</section>\n",
			stackSVG(blocks), htmlBlock(strings.Join(drawBlocks(blocks), "\n")))
	}
	collapse := !opts.NoCollapse
	to := TextOptions{Threads: opts.Threads}
	var others []*report.Thread
	for i := range r.Threads {
		t := &r.Threads[i]
		if !to.selects(t) {
			continue
		}
		if !t.Crashed {
			others = append(others, t)
			continue
		}
		var b strings.Builder
		writeThreadFrames(&errWriter{w: &b}, t, collapse)
		fmt.Fprintf(ew, "<section id=\"crashed\">\n<h2>Crashed thread %d (%s, %s)</h2>\n<pre>%s</pre>\n</section>\n", t.TID, frameCount(t), esc(t.EndReason), htmlBlock(b.String()))
	}
	if len(others) > 0 {
		groups := groupThreads(others, collapse, false)
		fmt.Fprintf(ew, "<details id=\"threads\">\n<summary>Other threads (%d, %d distinct stacks)</summary>\n", len(others), len(groups))
		for _, g := range groups {
			t := g.threads[0]
			who := fmt.Sprintf("thread %d", t.TID)
			if len(g.threads) > 1 {
				tids := make([]string, len(g.threads))
				for k, gt := range g.threads {
					tids[k] = fmt.Sprint(gt.TID)
				}
				who = fmt.Sprintf("%d threads (%s)", len(g.threads), strings.Join(tids, ", "))
			}
			fmt.Fprintf(ew, "<details class=\"thread\">\n<summary>%s: %s, %s — <code>%s</code></summary>\n<pre>%s</pre>\n</details>\n",
				esc(who), frameCount(t), esc(t.EndReason), esc(stackLine(t)), htmlBlock(g.frames))
		}
		fmt.Fprintf(ew, "</details>\n")
	}
	var maps strings.Builder
	Maps(&maps, r)
	fmt.Fprintf(ew, "<details id=\"maps\">\n<summary>Memory map (%d mappings)</summary>\n<pre>%s</pre>\n</details>\n", len(r.Mappings), htmlBlock(maps.String()))
	fmt.Fprintf(ew, "<details id=\"environment\">\n<summary>Environment</summary>\n<ul>\n")
	fmt.Fprintf(ew, "<li>command line: <code>%s</code></li>\n", esc(strings.Join(r.Process.Args, " ")))
	fmt.Fprintf(ew, "<li>pid %d, executable <code>%s</code></li>\n", r.Process.PID, esc(r.Process.Exe))
	for _, m := range r.Modules {
		detail := ""
		if m.StatusDetail != "" {
			detail = ": " + esc(m.StatusDetail)
		}
		fmt.Fprintf(ew, "<li><code>%s</code> build-id <code>%s</code> (%s%s)</li>\n", esc(m.Path), esc(nameOr(m.CoreBuildID, m.BuildID)), esc(string(m.Status)), detail)
	}
	fmt.Fprintf(ew, "</ul>\n</details>\n")
	if len(r.Warnings) > 0 {
		fmt.Fprintf(ew, "<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul>\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(ew, "<li>%s</li>\n", esc(wn))
		}
		fmt.Fprintf(ew, "</ul>\n</section>\n")
	}
	fmt.Fprintf(ew, "</body>\n</html>\n")
	return ew.err
}

// htmlText is text from the report as HTML text: sanitized (control
// characters as escapes, as everywhere) and escaped.
func htmlText(s string) string { return html.EscapeString(Sanitize(s)) }

// htmlBlock is htmlText for the lines of a <pre>: each line sanitized, the
// line breaks kept.
func htmlBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = htmlText(l)
	}
	return strings.Join(lines, "\n")
}

const htmlStyle = `body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1f24}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:13px;line-height:1.35}
code{font-size:13px}details{margin:.6em 0}summary{cursor:pointer;font-weight:600}
details.thread summary{font-weight:normal}.hint{color:#57606a}
svg text{font:12px ui-monospace,monospace}`

// The SVG's geometry, in pixels.
const (
	svgWidth    = 1000
	svgNoteLen  = 80  // characters of a note drawn; all of it is in its title and in the text picture
	svgAddrW    = 130 // the address column
	svgBoxW     = 260 // the mappings
	svgGap      = 26  // a range between two blocks that is not drawn
	svgMinBlock = 34
)

// blockHeight draws a block taller the larger it is, on a log scale: a
// 4 KiB guard and an 8 MiB stack both fit on a page, and the stack is
// still the taller; every note line gets room.
func blockHeight(b pictureBlock) float64 {
	size := float64(b.end - b.start)
	h := svgMinBlock + 18*math.Max(0, math.Log2(size/4096))
	return math.Max(h, math.Max(float64(18*(len(b.notes)+1)+10), float64(52+14*len(b.marks))))
}

// stackSVG draws the blocks as an inline SVG: each mapping a box labelled
// with its range and size (guards hatched), the stack pointer and the
// fault marked at their place inside their mapping (linear within it),
// the notes beside.
func stackSVG(blocks []pictureBlock) string {
	var b strings.Builder
	esc := htmlText
	height := 20.0
	for i, bl := range blocks {
		if i > 0 && blocks[i-1].start != bl.end {
			height += svgGap
		}
		height += blockHeight(bl)
	}
	height += 20
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="the crashed thread's stacks, high addresses at the top" width="%d" height="%.0f" viewBox="0 0 %d %.0f">`, svgWidth, height, svgWidth, height)
	b.WriteString(`<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fde2e1"/><line x1="0" y1="0" x2="0" y2="8" stroke="#d1242f" stroke-width="2"/></pattern></defs>`)
	fmt.Fprintf(&b, `<text x="%d" y="14" fill="#57606a">high addresses</text>`, svgAddrW)
	y := 20.0
	x := float64(svgAddrW)
	for i, bl := range blocks {
		if i > 0 && blocks[i-1].start != bl.end {
			fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#57606a">⋮ %s not drawn</text>`, x+8, y+17, esc(report.Distance(uint64(blocks[i-1].start-bl.end))))
			y += svgGap
		}
		h := blockHeight(bl)
		fill, class := "#ddf4ff", "stack"
		if bl.guard {
			fill, class = "url(#hatch)", "guard"
		}
		fmt.Fprintf(&b, `<g class="%s"><rect x="%.0f" y="%.1f" width="%d" height="%.1f" fill="%s" stroke="#57606a"/>`, class, x, y, svgBoxW, h, fill)
		fmt.Fprintf(&b, `<text x="4" y="%.1f">%#x</text>`, y+12, uint64(bl.end))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-weight="bold">%s, %s</text>`, x+8, y+16, esc(bl.label), esc(report.HumanBytes(uint64(bl.end-bl.start))))
		for k, n := range bl.notes {
			short := n
			if r := []rune(n); len(r) > svgNoteLen {
				short = string(r[:svgNoteLen-1]) + "…"
			}
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f"><title>%s</title>%s</text>`, x+svgBoxW+10, y+16+float64(k)*18, esc(n), esc(short))
		}
		for _, m := range bl.marks {
			// Linear inside the block: the top is its end address.
			my := y + h*float64(bl.end-m.addr)/float64(bl.end-bl.start)
			// The stack pointer's label at the box's left, the fault's at
			// its right: they are often a few bytes apart.
			class, color, label, tx, anchor := "sp", "#0969da", "◀ sp", x+4, "start"
			if m.fault {
				class, color, label, tx, anchor = "fault", "#d1242f", "✗ fault", x+svgBoxW-4, "end"
			}
			// Below the block's own label, the fault's under the
			// stack pointer's.
			ty := math.Max(my+13, y+32)
			if m.fault {
				ty += 14
			}
			fmt.Fprintf(&b, `<g class="%s"><line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.0f" y="%.1f" fill="%s" text-anchor="%s">%s %#x</text></g>`,
				class, x, my, x+svgBoxW, my, color, tx, ty, color, anchor, label, uint64(m.addr))
		}
		b.WriteString(`</g>`)
		y += h
		if i == len(blocks)-1 || blocks[i+1].end != bl.start {
			fmt.Fprintf(&b, `<text x="4" y="%.1f">%#x</text>`, y, uint64(bl.start))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%.0f" fill="#57606a">low addresses</text>`, svgAddrW, y+16)
	b.WriteString(`</svg>`)
	return b.String()
}
