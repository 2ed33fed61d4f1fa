package redact

import (
	"reflect"
	"testing"
)

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		argv, want []string
	}{
		{"attached long flag", []string{"app", "--password=hunter2", "--verbose"}, []string{"app", "--password=***", "--verbose"}},
		{"separate long flag", []string{"app", "--token", "ghp_abc", "input.rs"}, []string{"app", "--token", "***", "input.rs"}},
		{"flag then another flag", []string{"app", "--token", "--verbose"}, []string{"app", "--token", "--verbose"}},
		{"api key", []string{"app", "--api-key", "k", "--aws-secret-access-key=s"}, []string{"app", "--api-key", "***", "--aws-secret-access-key=***"}},
		{"single dash", []string{"app", "-password", "x"}, []string{"app", "-password", "***"}},
		{"url userinfo", []string{"git", "clone", "https://user:tok3n@github.com/o/r.git"}, []string{"git", "clone", "https://user:***@github.com/o/r.git"}},
		{"url without password", []string{"git", "clone", "ssh://git@github.com/o/r.git"}, []string{"git", "clone", "ssh://git@github.com/o/r.git"}},
		{"KEY=value", []string{"env", "GITHUB_TOKEN=ghp_x", "AWS_SECRET_ACCESS_KEY=y", "MY_KEY=z", "PATH=/bin", "make"},
			[]string{"env", "GITHUB_TOKEN=***", "AWS_SECRET_ACCESS_KEY=***", "MY_KEY=***", "PATH=/bin", "make"}},
		{"mysql attached", []string{"/usr/bin/mysql", "-uroot", "-psecret", "db"}, []string{"/usr/bin/mysql", "-uroot", "-p***", "db"}},
		{"mysql bare -p prompts", []string{"mysql", "-p", "db"}, []string{"mysql", "-p", "db"}},
		{"sshpass", []string{"sshpass", "-p", "pw", "ssh", "host"}, []string{"sshpass", "-p", "***", "ssh", "host"}},
		{"curl user", []string{"curl", "-u", "me:pw", "https://x"}, []string{"curl", "-u", "me:***", "https://x"}},
		{"curl user attached", []string{"curl", "-ume:pw", "--user=a:b"}, []string{"curl", "-ume:***", "--user=a:***"}},
		{"curl user no password", []string{"curl", "-u", "me", "https://x"}, []string{"curl", "-u", "me", "https://x"}},
		{"-p elsewhere is not a password", []string{"rustc", "-p", "foo", "-O"}, []string{"rustc", "-p", "foo", "-O"}},
		{"plain arguments", []string{"prog", "heap", "/tmp/input.txt", "--jobs=4"}, []string{"prog", "heap", "/tmp/input.txt", "--jobs=4"}},
		{"argv0 alone", []string{"prog"}, []string{"prog"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]string(nil), tc.argv...)
			if got := Args(tc.argv); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Args(%q) = %q, want %q", tc.argv, got, tc.want)
			}
			if !reflect.DeepEqual(in, tc.argv) {
				t.Errorf("argv changed to %q", tc.argv)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	env := []string{"HOME=/root", "GITHUB_TOKEN=ghp_secret", "AWS_SECRET_ACCESS_KEY=abc", "RUST_MIN_STACK=16777216",
		"LD_PRELOAD=/usr/lib/libjemalloc.so", "MALLOC_ARENA_MAX=2", "ASAN_OPTIONS=detect_leaks=0", "SAN_OPTIONS=x",
		"JAVA_TOOL_OPTIONS=-Xss4m -Djavax.net.ssl.keyStorePassword=changeit", "GOTRACEBACK=crash", "PATH=/bin", "noequals"}
	kept, omitted := Env(env)
	want := []string{"RUST_MIN_STACK=16777216", "LD_PRELOAD=/usr/lib/libjemalloc.so", "MALLOC_ARENA_MAX=2",
		"ASAN_OPTIONS=detect_leaks=0", "JAVA_TOOL_OPTIONS=-Xss4m -Djavax.net.ssl.keyStorePassword=***", "GOTRACEBACK=crash"}
	if !reflect.DeepEqual(kept, want) || omitted != 6 {
		t.Errorf("Env = %q, %d omitted; want %q, 6", kept, omitted, want)
	}
}

func TestCommandLine(t *testing.T) {
	if got := CommandLine("deploy --password=pw https://a:b@h/"); got != "deploy --password=*** https://a:***@h/" {
		t.Errorf("CommandLine = %q", got)
	}
}
