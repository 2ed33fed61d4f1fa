package testfixture

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NodeTool returns the path of a tool that npm installs (sarif-multitool,
// ajv): from $COREVIEW_NODE_TOOLS (a node_modules/.bin directory, or a
// prefix holding one), else .ci/node_modules/.bin, where .ci/run installs
// .ci/package.json, else $PATH. A missing tool skips the test, saying how to
// install it, or fails it when RequireTools.
func NodeTool(t testing.TB, name string) string {
	t.Helper()
	var dirs []string
	if d := os.Getenv("COREVIEW_NODE_TOOLS"); d != "" {
		dirs = append(dirs, d, filepath.Join(d, "node_modules", ".bin"))
	}
	dirs = append(dirs, filepath.Join(Root(), ".ci", "node_modules", ".bin"))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if RequireTools() {
		t.Fatalf("%s is not installed, and COREVIEW_REQUIRE_TOOLS=1 or CI is set: .ci/run should have installed it (npm install --prefix .ci)", name)
	}
	t.Skipf("%s is not installed (npm install --prefix .ci, or set COREVIEW_NODE_TOOLS)", name)
	return ""
}
