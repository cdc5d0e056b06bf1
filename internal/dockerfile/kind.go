package dockerfile

import (
	"path"
	"path/filepath"
	"strings"
)

// KindOf says how a file is parsed, judged by its base name alone:
// Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile and
// Containerfile.* are Dockerfiles; docker-compose*.yml|yaml and
// compose*.yml|yaml are compose files; anything else is KindUnknown.
func KindOf(p string) Kind {
	base := path.Base(filepath.ToSlash(p))
	switch {
	case base == "Dockerfile", base == "Containerfile",
		strings.HasPrefix(base, "Dockerfile."), strings.HasPrefix(base, "Containerfile."),
		strings.HasSuffix(base, ".Dockerfile") && len(base) > len(".Dockerfile"),
		strings.HasSuffix(base, ".dockerfile") && len(base) > len(".dockerfile"):
		return KindDockerfile
	}
	ext := path.Ext(base)
	if ext != ".yml" && ext != ".yaml" {
		return KindUnknown
	}
	if strings.HasPrefix(base, "docker-compose") || strings.HasPrefix(base, "compose") {
		return KindCompose
	}
	return KindUnknown
}
