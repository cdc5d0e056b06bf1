package dockerfile

import (
	"testing"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// expandLikeBuildKit expands word with the expander and with BuildKit's
// shell lexer, over the same variables.
func expandLikeBuildKit(word string, esc byte, env map[string]string) (mine string, bad bool, theirs string, err error) {
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	x := &expander{esc: esc, lookup: func(name string) ([]ochar, bool) {
		v, ok := env[name]
		return opaque(v), ok
	}}
	mine = ocharsString(x.expand(opaque(word)))
	res, err := shell.NewLex(rune(esc)).ProcessWordWithMatches(word, shell.EnvsFromSlice(kv))
	return mine, x.bad, res.Result, err
}

func TestExpanderAgreesWithBuildKit(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BASE": "ubuntu:20.04", "V": "1.2", "EMPTY": "", "Q": `a"b`}
	words := []string{
		"ubuntu", "$BASE", "${BASE}", "myorg/base:${V}", "${NOPE:-ubuntu:1}", "${EMPTY:-x}", "${EMPTY-x}",
		"${V:+set}", "${NOPE+set}", `"ubuntu:${V}"`, `'ubuntu:${V}'`, `ubu\ntu`, `"a\"b"`, `"a\xb"`, `$`, `a$`,
		`${V}x${V}`, `$V.3`, `"${NOPE:-"q"}"`, `${NOPE:-'a b'}`, `\$V`, `a\`, `"$Q"`,
	}
	for _, w := range words {
		for _, esc := range []byte{'\\', '`'} {
			mine, bad, theirs, err := expandLikeBuildKit(w, esc, env)
			if err != nil || bad {
				continue
			}
			if mine != theirs {
				t.Errorf("escape %c: expanding %q gives %q, BuildKit gives %q", esc, w, mine, theirs)
			}
		}
	}
}

func FuzzExpander(f *testing.F) {
	for _, s := range []string{"${A:-b}", `"$A"'$A'`, `\${A}`, "${A:+x}y$B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if !utf8.ValidString(w) {
			return // Rewrite rejects files that are not UTF-8
		}
		mine, bad, theirs, err := expandLikeBuildKit(w, '\\', map[string]string{"A": "ubuntu", "B": ""})
		if err == nil && !bad && mine != theirs {
			t.Fatalf("expanding %q gives %q, BuildKit gives %q", w, mine, theirs)
		}
	})
}
