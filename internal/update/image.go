package update

import (
	"strings"

	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/imageref"
)

// searchSeparators are the characters GitHub's legacy code search ignores;
// it splits text into terms on them and on white space.
const searchSeparators = ".,:;/\\`'\"=*!?#$&+^|~<>(){}[]@"

// SearchTerms returns the code-search terms that any file referencing image
// must contain, however it spells the name: the tokens of the familiar
// name's path, plus those of the registry host unless it is Docker Hub
// (whose files may write ubuntu, library/ubuntu or docker.io/library/ubuntu).
func SearchTerms(image imageref.Name) []string {
	var terms []string
	seen := map[string]bool{}
	for _, t := range strings.FieldsFunc(image.Familiar(), func(r rune) bool {
		return strings.ContainsRune(searchSeparators, r) || r == ' ' || r == '\t' || r == '\n'
	}) {
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	return terms
}

// Qualifiers returns the code-search filename qualifiers that find the files
// of the given kinds, each with fork:true so that forks are found too (and
// reported as skipped unless include-forks).
func Qualifiers(kinds []dockerfile.Kind) []string {
	var q []string
	for _, k := range kinds {
		switch k {
		case dockerfile.KindDockerfile:
			q = append(q, "filename:Dockerfile fork:true", "filename:Containerfile fork:true")
		case dockerfile.KindCompose:
			q = append(q, "filename:docker-compose fork:true", "filename:compose fork:true")
		}
	}
	return q
}

// Slug turns an image name into the last part of a branch name: the
// familiar name, lower-cased, with "/" and any character git or a shell
// could trip over replaced by "-". "ghcr.io/acme/base" gives
// "ghcr.io-acme-base"; "docker.io/library/ubuntu" gives "ubuntu".
func Slug(image imageref.Name) string {
	var b strings.Builder
	for _, r := range strings.ToLower(image.Familiar()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-.")
	for strings.Contains(s, "..") {
		s = strings.ReplaceAll(s, "..", ".")
	}
	return strings.TrimSuffix(s, ".lock")
}
