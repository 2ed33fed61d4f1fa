package main

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/symbolize"
)

// sourceFlags say where DWARF for file:line and inlined frames comes from:
// separate debug directories and debuginfod servers.
type sourceFlags struct {
	debugDirs  []string
	debuginfod []string
	offline    bool
	noCache    bool
}

func (f *sourceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.debugDirs, "debug-dir", nil, "look for separate debug files in `DIR` (DIR/.build-id/xx/….debug, and .gnu_debuglink names), after SYSROOT/usr/lib/debug or /usr/lib/debug (repeatable)")
	cmd.Flags().StringArrayVar(&f.debuginfod, "debuginfod", nil, "fetch missing debug files by build-id from the debuginfod server at `URL` (repeatable; default: $DEBUGINFOD_URLS)")
	cmd.Flags().BoolVar(&f.offline, "offline", false, "never contact a debuginfod server, even if $DEBUGINFOD_URLS is set")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "neither read nor write the cache of inflated debug information ($XDG_CACHE_HOME/coreview/dwarf, default ~/.cache/coreview/dwarf)")
}

// apply sets the analysis options. One debuginfod client serves every core
// of a run, so scan asks once per build-id.
func (f *sourceFlags) apply(o *analyze.Options) {
	o.DebugDirs = f.debugDirs
	o.Debuginfod = f.client()
	if !f.noCache {
		o.CacheDir = dwarfCache()
	}
}

// dwarfCache is where inflated debug information is kept between runs:
// $XDG_CACHE_HOME/coreview/dwarf, else ~/.cache/coreview/dwarf; "" (no
// cache) when neither is known.
func dwarfCache() string {
	if d := diskcache.Dir(); d != "" {
		return filepath.Join(d, "dwarf")
	}
	return ""
}

func (f *sourceFlags) client() *symbolize.Debuginfod {
	if f.offline {
		return nil
	}
	urls := f.debuginfod
	if len(urls) == 0 {
		urls = symbolize.ParseDebuginfodURLs(os.Getenv("DEBUGINFOD_URLS"))
	}
	if len(urls) == 0 {
		return nil
	}
	return &symbolize.Debuginfod{URLs: urls, CacheDir: debuginfodCache(), Timeout: debuginfodTimeout()}
}

// debuginfodCache is $COREVIEW_DEBUGINFOD_CACHE, else
// $XDG_CACHE_HOME/coreview/debuginfod (~/.cache/coreview/debuginfod), laid
// out like elfutils' client cache (<build-id>/debuginfo).
func debuginfodCache() string {
	if d := os.Getenv("COREVIEW_DEBUGINFOD_CACHE"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "coreview", "debuginfod")
}

// debuginfodTimeout is $DEBUGINFOD_TIMEOUT seconds (elfutils' variable),
// else symbolize.DefaultDebuginfodTimeout.
func debuginfodTimeout() time.Duration {
	if v, err := strconv.Atoi(os.Getenv("DEBUGINFOD_TIMEOUT")); err == nil && v > 0 {
		return time.Duration(v) * time.Second
	}
	return symbolize.DefaultDebuginfodTimeout
}
