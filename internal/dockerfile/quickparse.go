package dockerfile

import (
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// parseInstruction returns what instructions.ParseInstruction returns for n,
// as far as scanDockerfile reads it. ARG, FROM and COPY, which most files
// are full of, are read here when BuildKit is certain to accept them, with
// the fields scanDockerfile uses (ArgCommand.Args without DocComment,
// Stage.BaseName, Name and Platform, CopyCommand.From); anything else, and
// every instruction BuildKit might reject, goes to BuildKit, so its errors are
// its own. TestQuickParseAgreesWithBuildKit and the fuzz targets hold the
// two to the same results.
func parseInstruction(n *parser.Node) (any, error) {
	if v := quickParse(n); v != nil {
		return v, nil
	}
	return instructions.ParseInstruction(n)
}

// quickParse reads n as parseInstruction does, or returns nil when BuildKit
// must.
func quickParse(n *parser.Node) any {
	switch lowerCommand(n.Value) {
	case "arg":
		return quickArg(n)
	case "from":
		return quickFrom(n)
	case "copy":
		return quickCopy(n)
	}
	return nil
}

// quickArg mirrors instructions.parseArg for an ARG without flags.
func quickArg(n *parser.Node) any {
	if !argCannotFail(n) {
		return nil
	}
	k := argCount(n)
	pairs := make([]instructions.KeyValuePairOptional, 0, k)
	vals := make([]string, 0, k)
	for a := n.Next; a != nil; a = a.Next {
		kv := instructions.KeyValuePairOptional{Key: a.Value}
		if key, val, ok := strings.Cut(a.Value, "="); ok {
			vals = append(vals, val)
			kv.Key, kv.Value = key, &vals[len(vals)-1]
		}
		pairs = append(pairs, kv)
	}
	return &instructions.ArgCommand{Args: pairs}
}

// argCannotFail reports whether instructions.parseArg is certain to accept
// n: an ARG without flags, with arguments, none of them a blank name.
func argCannotFail(n *parser.Node) bool {
	if len(n.Flags) != 0 || argCount(n) < 1 {
		return false
	}
	for a := n.Next; a != nil; a = a.Next {
		if strings.HasPrefix(a.Value, "=") {
			return false // "ARG names can not be blank"
		}
	}
	return true
}

// validStageName is instructions.validStageName.
var validStageName = regexp.MustCompile("^[a-z][a-z0-9-_.]*$")

// quickFrom mirrors instructions.parseFrom and parseBuildStageName.
func quickFrom(n *parser.Node) any {
	var args [3]string
	k := 0
	for a := n.Next; a != nil; a = a.Next {
		if len(a.Children) != 0 || k == len(args) {
			return nil
		}
		args[k] = a.Value
		k++
	}
	var name string
	switch {
	case k == 3 && strings.EqualFold(args[1], "as"):
		name = strings.ToLower(args[2])
		if !validStageName.MatchString(name) {
			return nil
		}
	case k != 1:
		return nil
	}
	platform, ok := parseFlags(n.Flags, fromFlags, "platform")
	if !ok {
		return nil
	}
	return &instructions.Stage{BaseName: args[0], Name: name, Platform: platform}
}

// quickCopy mirrors instructions.parseCopy.
func quickCopy(n *parser.Node) any {
	k := argCount(n)
	if k < 2 {
		return nil
	}
	var dest string
	for a := n.Next; a != nil; a = a.Next {
		dest = a.Value
	}
	if strings.Contains(dest, "<<") {
		return nil // it may be a heredoc, which BuildKit rejects as a destination
	}
	from, ok := parseFlags(n.Flags, copyFlags, "from")
	if !ok {
		return nil
	}
	return &instructions.CopyCommand{From: from}
}

type flagKind uint8

const (
	boolFlag flagKind = iota
	stringFlag
	stringsFlag
)

type flagSpec struct {
	name string
	kind flagKind
}

// The flags instructions.parseFrom and parseCopy declare.
var (
	fromFlags = []flagSpec{{"platform", stringFlag}}
	copyFlags = []flagSpec{{"chown", stringFlag}, {"from", stringFlag}, {"chmod", stringFlag}, {"link", boolFlag}, {"exclude", stringsFlag}, {"parents", boolFlag}}
)

// parseFlags mirrors instructions.BFlags.Parse over the flags in spec. It
// returns the value of the string flag want, and false where BuildKit
// returns an error.
func parseFlags(args []string, spec []flagSpec, want string) (string, bool) {
	var used uint32
	var val string
	for _, a := range args {
		if a == "--" {
			return val, true
		}
		if !strings.HasPrefix(a, "--") {
			return "", false
		}
		name, value, hasValue := strings.Cut(a, "=")
		name = name[2:]
		i := 0
		for i < len(spec) && spec[i].name != name {
			i++
		}
		if i == len(spec) {
			return "", false // unknown flag
		}
		kind := spec[i].kind
		if used&(1<<i) != 0 && kind != stringsFlag {
			return "", false // duplicate flag
		}
		used |= 1 << i
		switch kind {
		case boolFlag:
			if hasValue && value == "" {
				return "", false
			}
			switch strings.ToLower(value) {
			case "true", "", "false":
			default:
				return "", false
			}
		default:
			if !hasValue {
				return "", false
			}
			if name == want {
				val = value
			}
		}
	}
	return val, true
}

// commandNames are the instructions cannotFail and quickParse know.
var commandNames = []string{"arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "label", "run", "user", "workdir"}

// lowerCommand returns the lower-case name of instruction v when it is one
// of commandNames spelt in ASCII letters of any case, or "". It spares the
// allocation of strings.ToLower; every other spelling goes to BuildKit.
func lowerCommand(v string) string {
	for _, c := range commandNames {
		if len(c) == len(v) && equalFoldASCII(v, c) {
			return c
		}
	}
	return ""
}

// equalFoldASCII reports whether s equals lower, a lower-case ASCII word,
// ignoring the case of ASCII letters only.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
