package analyze

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

// TestHTMLInChromium: the HTML report of the stacker fixture is one
// self-contained page (no script, nothing fetched), and a real browser,
// headless Chromium, loads it: the DOM it builds holds the crashed frames,
// the guard pages, the stack pointer and the fault in the SVG, and the
// threads and memory map as collapsible sections; a screenshot is taken
// (kept in $COREVIEW_SCREENSHOTS when set).
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	_, r := analyzeFixture(t, "stacker-segment")
	var page bytes.Buffer
	if err := render.HTML(&page, r, render.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	doc := page.String()
	// Self-contained: nothing to load, nothing to run.
	for _, re := range []string{`<script`, `<link`, `<img`, `<iframe`, `src=`, `href=`, `url\(http`, `@import`} {
		if regexp.MustCompile(re).MatchString(doc) {
			t.Errorf("the page has %s: it is not self-contained", re)
		}
	}
	chromium := testfixture.Tool(t, "chromium")
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	os.WriteFile(file, page.Bytes(), 0o644)
	browse := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(chromium, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--virtual-time-budget=2000"}, append(args, "file://"+file)...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
		}
		return out.Bytes()
	}
	dom := string(browse("--dump-dom"))
	crashed := r.CrashedThread()
	for _, want := range []string{
		"<h1>SIGSEGV: stack-overflow in segstack::parse_expr</h1>",
		crashed.Frames[0].Function + "+0x8 (prog)\n", // the faulting frame, its own line
		"rust_psm_on_stack+0x9 (prog)",
		"guard page, 4 KiB",
		`<g class="guard">`, `<g class="fault">`, `<g class="sp">`,
		"<svg", "✗ fault 0x7fa79bdbcf90",
		`<details id="threads">`, `<details id="maps">`, "Memory map (",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q", want)
		}
	}
	// The frames are in the DOM as the browser parsed them, not only in
	// the file: count the crashed thread's lines in the <pre>.
	if n := strings.Count(dom, "segstack::parse_expr+0x"); n < 2 {
		t.Errorf("the DOM has %d parse_expr frames", n)
	}
	shot := filepath.Join(dir, "report.png")
	if keep := os.Getenv("COREVIEW_SCREENSHOTS"); keep != "" {
		shot = filepath.Join(keep, "stacker-segment.png")
	}
	browse("--screenshot="+shot, "--window-size=1280,1600", "--hide-scrollbars")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 24 || string(png[:8]) != "\x89PNG\r\n\x1a\n" {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	if w, h := binary.BigEndian.Uint32(png[16:]), binary.BigEndian.Uint32(png[20:]); w != 1280 || h != 1600 || len(png) < 20000 {
		t.Errorf("screenshot %dx%d, %d bytes: want 1280x1600 and a page drawn on it", w, h, len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}
