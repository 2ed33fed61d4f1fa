package main

import (
	"os"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestMain removes the fixture cores the tests decompressed.
func TestMain(m *testing.M) {
	code := m.Run()
	testfixture.Cleanup()
	os.Exit(code)
}
