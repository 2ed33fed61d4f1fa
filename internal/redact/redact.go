// Package redact keeps credentials out of reports: reports are pasted into
// public trackers and kept as CI artifacts, and a process's environment and
// command line carry tokens and passwords. Env keeps only the variables
// that change how a program crashes, loads or sizes its stacks; Args masks
// the arguments that carry credentials.
//
// It knows nothing about cores: input is strings, output is strings.
package redact

import (
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces a secret's value.
const Mask = "***"

// crashVars are the environment variables kept by default: they change
// how programs crash (RUST_BACKTRACE, GOTRACEBACK, the sanitizers'
// options, PYTHONFAULTHANDLER), load (LD_PRELOAD, LD_LIBRARY_PATH,
// LD_BIND_NOW) or size their stacks and heaps (RUST_MIN_STACK,
// GLIBC_TUNABLES, GOMAXPROCS, the JVM's options). README lists them.
var crashVars = map[string]bool{
	"RUST_MIN_STACK": true, "RUST_BACKTRACE": true, "RUST_LIB_BACKTRACE": true,
	"LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_BIND_NOW": true, "LD_BIND_NOT": true,
	"LD_AUDIT": true, "LD_DYNAMIC_WEAK": true, "LD_ASSUME_KERNEL": true,
	"GLIBC_TUNABLES": true,
	"GOTRACEBACK":    true, "GODEBUG": true, "GOMAXPROCS": true, "GOGC": true, "GOMEMLIMIT": true,
	"JAVA_TOOL_OPTIONS": true, "_JAVA_OPTIONS": true, "JDK_JAVA_OPTIONS": true,
	"PYTHONFAULTHANDLER": true, "PYTHONMALLOC": true, "PYTHONDEVMODE": true,
	"PYTHONHASHSEED": true, "PYTHONRECURSIONLIMIT": true,
	"NODE_OPTIONS": true, "UV_THREADPOOL_SIZE": true,
}

// CrashVar reports whether an environment variable is one the report
// keeps by default: one of crashVars, MALLOC_* (glibc's MALLOC_CHECK_,
// MALLOC_ARENA_MAX, MALLOC_PERTURB_…) or *SAN_OPTIONS (ASAN_OPTIONS,
// UBSAN_OPTIONS, TSAN_OPTIONS…).
func CrashVar(name string) bool {
	return crashVars[name] || strings.HasPrefix(name, "MALLOC_") ||
		strings.HasSuffix(name, "SAN_OPTIONS") && len(name) > len("SAN_OPTIONS")
}

// Env returns the entries of env ("NAME=value") whose variable CrashVar
// keeps, with credentials inside their values masked (a JVM's
// -Djavax.net.ssl.keyStorePassword=…), and how many entries it left out.
func Env(env []string) (kept []string, omitted int) {
	for _, e := range env {
		name, value, ok := strings.Cut(e, "=")
		if !ok || !CrashVar(name) {
			omitted++
			continue
		}
		words := append([]string{""}, strings.Fields(value)...)
		masked := Args(words)
		for i := range words {
			if masked[i] != words[i] {
				value = strings.Join(masked[1:], " ")
				break
			}
		}
		kept = append(kept, name+"="+value)
	}
	return kept, omitted
}

// secretWords are what a flag or variable name that carries a credential
// contains.
var secretWords = []string{"passw", "passphrase", "secret", "token", "credential", "apikey", "api-key",
	"api_key", "auth-key", "authkey", "private-key", "private_key", "access-key", "access_key", "cookie", "bearer"}

// SecretName reports whether a flag's or variable's name says its value is
// a credential: it contains password, secret, token, credential, an API or
// private key, or ends in _KEY or -key (case aside).
func SecretName(name string) bool {
	n := strings.ToLower(strings.TrimLeft(name, "-"))
	if n == "" {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "key" || n == "pass" || n == "password" || strings.HasSuffix(n, "_key") || strings.HasSuffix(n, "-key") ||
		strings.HasSuffix(n, ".key")
}

// shortSecretFlags are single-letter flags of known programs whose value
// is a password: mysql's -pPASSWORD (attached: a bare -p prompts),
// sshpass -p PASSWORD, redis-cli -a PASSWORD, curl -u USER:PASSWORD (only
// the part after the colon is the secret).
var shortSecretFlags = map[string]map[string]bool{
	"mysql": {"-p": true}, "mysqldump": {"-p": true}, "mysqladmin": {"-p": true}, "mariadb": {"-p": true},
	"sshpass": {"-p": true}, "redis-cli": {"-a": true}, "curl": {"-u": true, "--user": true, "-U": true, "--proxy-user": true},
}

// attachedOnly are the flags whose secret counts only when attached to the
// flag (mysql -psecret), not as the next argument.
var attachedOnly = map[string]bool{"mysql": true, "mysqldump": true, "mysqladmin": true, "mariadb": true}

// userinfo matches the password of a URL's userinfo (RFC 3986 3.2.1):
// scheme://user:password@host.
// It is compiled on first use, for an argument with a "://" in it.
var userinfo = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]*:)[^/@\s]*@`)
})

// Args returns argv with the arguments that carry credentials masked:
// --password=x and --token x (flags whose name SecretName accepts, the
// value attached or next), the short flags of known programs
// (shortSecretFlags), user:password@ in URLs, and NAME=value arguments
// whose NAME SecretName accepts. argv itself is not changed.
func Args(argv []string) []string {
	if len(argv) == 0 {
		return argv
	}
	out := make([]string, len(argv))
	prog := filepath.Base(argv[0])
	short := shortSecretFlags[prog]
	maskNext := false
	colon := false // mask only what follows the first colon (curl -u user:password)
	for i, a := range argv {
		out[i] = a
		if strings.Contains(a, "://") {
			out[i] = userinfo().ReplaceAllString(a, "${1}"+Mask+"@")
		}
		if maskNext {
			maskNext = false
			if !strings.HasPrefix(a, "-") || a == "-" {
				out[i] = maskValue(a, colon)
				continue
			}
		}
		if i == 0 {
			continue
		}
		isFlag := strings.HasPrefix(a, "-")
		if isFlag && !strings.HasPrefix(a, "--") && len(a) > 2 && short[a[:2]] {
			// A short flag with its value attached: -psecret, -uuser:pass.
			out[i] = a[:2] + maskValue(a[2:], prog == "curl")
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		switch {
		case isFlag && short[name] && !hasValue:
			maskNext, colon = !attachedOnly[prog], prog == "curl"
		case isFlag && short[name] && hasValue:
			out[i] = name + "=" + maskValue(value, prog == "curl")
		case isFlag && SecretName(name) && hasValue:
			out[i] = name + "=" + Mask
		case isFlag && SecretName(name):
			maskNext, colon = true, false
		case !isFlag && hasValue && SecretName(name):
			out[i] = name + "=" + Mask
		}
	}
	return out
}

// maskValue masks a secret value; with colon, only what follows the first
// colon (user:password), or nothing when there is none (curl then prompts).
func maskValue(v string, colon bool) string {
	if !colon {
		return Mask
	}
	if user, _, ok := strings.Cut(v, ":"); ok {
		return user + ":" + Mask
	}
	return v
}

// CommandLine masks a command line given as one string (NT_PRPSINFO's
// pr_psargs: the arguments joined by spaces, cut at 80 bytes), word by
// word as Args does.
func CommandLine(s string) string {
	if s == "" {
		return s
	}
	return strings.Join(Args(strings.Split(s, " ")), " ")
}
