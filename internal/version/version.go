// Package version says which dfiu this is: the release it was built as, the
// commit and the Go toolchain, and names the container image that action.yml
// runs.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Release is the version of the latest release, or of the one being
// prepared: action.yml runs the image of this version (see Image). The
// release workflow refuses a tag other than "v"+Release, so bumping it (and
// regenerating action.yml with
// "go test ./internal/config -run TestActionYML -update") is the first step
// of a release.
const Release = "1.0.0"

// Image is the repository the release workflow pushes the action's image to
// (IMAGE in .github/workflows/release.yml; a test checks they agree). A fork
// that publishes its own image changes both.
const Image = "ghcr.io/dfiu/dfiu"

// ActionImage is action.yml's runs.image: the published image of Release.
// Its tag is the version without the "v" of the git tag.
func ActionImage() string { return "docker://" + Image + ":" + Release }

// Set at release with
//
//	-ldflags "-X github.com/dfiu/dfiu/internal/version.version=v1.2.3 -X github.com/dfiu/dfiu/internal/version.commit=<sha>"
//
// Empty otherwise; Get then reads the build information.
var version, commit string

// Info describes the running binary.
type Info struct {
	Version   string // v1.2.3 at release or from go install …@v1.2.3; "devel" otherwise
	Commit    string // the full commit hash, "unknown" when the build did not record it
	Modified  bool   // built from a checkout with uncommitted changes
	GoVersion string // the toolchain that built it, e.g. go1.26.8
}

// Get returns what the linker flags and the binary's build information say.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return get(version, commit, bi)
}

func get(version, commit string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version // go install github.com/dfiu/dfiu@v1.2.3
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	return info
}

// String is the line dfiu version prints and the action logs first, e.g.
// "dfiu v1.2.3 (commit 0123abc…, go1.26.8, linux/amd64)".
func (i Info) String() string {
	commit := i.Commit
	if i.Modified {
		commit += " with local changes"
	}
	return fmt.Sprintf("dfiu %s (commit %s, %s, %s/%s)", i.Version, commit, i.GoVersion, runtime.GOOS, runtime.GOARCH)
}
