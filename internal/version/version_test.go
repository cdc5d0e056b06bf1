package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/dfiu/dfiu", Version: "(devel)"},
		Settings:  []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}},
	}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/dfiu/dfiu", Version: "v1.2.3"}}
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            Info
	}{
		{name: "linker flags win", version: "v1.2.4", commit: "fedcba9", bi: vcs,
			want: Info{Version: "v1.2.4", Commit: "fedcba9", Modified: true, GoVersion: "go1.26.8"}},
		{name: "checkout", bi: vcs,
			want: Info{Version: "devel", Commit: "0123abc", Modified: true, GoVersion: "go1.26.8"}},
		{name: "go install @version", bi: installed,
			want: Info{Version: "v1.2.3", Commit: "unknown", GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(tt.version, tt.commit, tt.bi); got != tt.want {
				t.Errorf("get(%q, %q, …) = %+v, want %+v", tt.version, tt.commit, got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	s := Info{Version: "v1.2.3", Commit: "0123abc", Modified: true, GoVersion: "go1.26.8"}.String()
	for _, want := range []string{"dfiu v1.2.3 ", "commit 0123abc with local changes", "go1.26.8"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, want it to contain %q", s, want)
		}
	}
}
