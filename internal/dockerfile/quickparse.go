package dockerfile

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// instrKind says which of an instruction's values scanDockerfile reads.
type instrKind uint8

const (
	instrOther instrKind = iota // a command with no image
	instrArg
	instrFrom
	instrCopy // with --from
	instrRun  // with --mount from=
)

// instr is what scanDockerfile reads of one instruction: nothing, but that
// it is a command, for instrOther.
type instr struct {
	kind       instrKind
	args       []argPair // ARG
	base, name string    // FROM: the image as written, the stage name in lower case
	from       string    // COPY --from, not empty
	mountFroms []string  // RUN: each non-empty --mount from=, at least one
}

// argPair is one name[=value] of an ARG.
type argPair struct {
	key, value string
	set        bool // there is a value, possibly ""
}

// parseInstruction reads n as instructions.ParseInstruction does. ARG,
// FROM, COPY, ADD and RUN with flags, which most files are full of, are read
// here when BuildKit is certain to accept them; anything else, and every
// instruction BuildKit might reject, goes to BuildKit, so its errors are its
// own.
// TestQuickParseAgreesWithBuildKit and the fuzz targets hold the two to the
// same results. Errors wrap ErrMalformed.
func parseInstruction(n *parser.Node) (instr, error) {
	if in, ok := quickParse(n); ok {
		return in, nil
	}
	v, err := instructions.ParseInstruction(n)
	if err != nil {
		return instr{}, &fileError{kind: ErrMalformed, err: err}
	}
	in, ok := instrOf(v)
	if !ok {
		return instr{}, &fileError{kind: ErrMalformed, detail: fmt.Sprintf("line %d: %T is not a command", n.StartLine, v)}
	}
	return in, nil
}

// instrOf returns what scanDockerfile reads of v, a result of
// instructions.ParseInstruction, and false when v is not a command.
func instrOf(v any) (instr, bool) {
	switch c := v.(type) {
	case *instructions.ArgCommand:
		in := instr{kind: instrArg, args: make([]argPair, len(c.Args))}
		for i, kv := range c.Args {
			in.args[i] = argPair{key: kv.Key, set: kv.Value != nil}
			if kv.Value != nil {
				in.args[i].value = *kv.Value
			}
		}
		return in, true
	case *instructions.Stage:
		return instr{kind: instrFrom, base: c.BaseName, name: c.Name}, true
	case *instructions.CopyCommand:
		if c.From == "" {
			return instr{}, true
		}
		return instr{kind: instrCopy, from: c.From}, true
	case *instructions.RunCommand:
		var in instr
		for _, m := range instructions.GetMounts(c) {
			if m.From != "" {
				in.kind = instrRun
				in.mountFroms = append(in.mountFroms, m.From)
			}
		}
		return in, true
	case instructions.Command:
		return instr{}, true
	}
	return instr{}, false
}

// quickParse reads n as parseInstruction does, or returns false when
// BuildKit must.
func quickParse(n *parser.Node) (instr, bool) {
	switch lowerCommand(n.Value) {
	case "arg":
		return quickArg(n)
	case "from":
		return quickFrom(n)
	case "copy":
		return quickCopy(n)
	case "add":
		return quickAdd(n)
	case "run":
		return quickRun(n)
	}
	return instr{}, false
}

// quickArg mirrors instructions.parseArg.
func quickArg(n *parser.Node) (instr, bool) {
	if !argCannotFail(n) {
		return instr{}, false
	}
	in := instr{kind: instrArg, args: make([]argPair, 0, argCount(n))}
	for a := n.Next; a != nil; a = a.Next {
		key, val, ok := strings.Cut(a.Value, "=")
		in.args = append(in.args, argPair{key: key, value: val, set: ok})
	}
	return in, true
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
func quickFrom(n *parser.Node) (instr, bool) {
	var args [3]string
	k := 0
	for a := n.Next; a != nil; a = a.Next {
		if len(a.Children) != 0 || k == len(args) {
			return instr{}, false
		}
		args[k] = a.Value
		k++
	}
	var name string
	switch {
	case k == 3 && strings.EqualFold(args[1], "as"):
		name = strings.ToLower(args[2])
		if !validStageName.MatchString(name) {
			return instr{}, false
		}
	case k != 1:
		return instr{}, false
	}
	if !parseFlags(n.Flags, fromFlags, nil) {
		return instr{}, false
	}
	return instr{kind: instrFrom, base: args[0], name: name}, true
}

// quickCopy mirrors instructions.parseCopy.
func quickCopy(n *parser.Node) (instr, bool) {
	if !destCannotFail(n) {
		return instr{}, false
	}
	var from string
	ok := parseFlags(n.Flags, copyFlags, func(name, value string) bool {
		if name == "from" {
			from = value
		}
		return true
	})
	if !ok {
		return instr{}, false
	}
	if from == "" {
		return instr{}, true // nothing to read
	}
	return instr{kind: instrCopy, from: from}, true
}

// quickAdd mirrors instructions.parseAdd.
func quickAdd(n *parser.Node) (instr, bool) {
	return instr{}, destCannotFail(n) && parseFlags(n.Flags, addFlags, nil)
}

// destCannotFail reports whether parseSourcesAndDest is certain to accept
// n's arguments: two or more, the last not a heredoc.
func destCannotFail(n *parser.Node) bool {
	if argCount(n) < 2 {
		return false
	}
	var dest string
	for a := n.Next; a != nil; a = a.Next {
		dest = a.Value
	}
	// BuildKit rejects a heredoc as the destination.
	return !strings.Contains(dest, "<<")
}

// quickRun mirrors instructions.parseRun and its hooks (network, security,
// device, mount) for a RUN without --device. With no expander, BuildKit's
// parseMount reads only the from= field of each --mount; values with quotes
// are left to it (CSV quoting).
func quickRun(n *parser.Node) (instr, bool) {
	var in instr
	ok := parseFlags(n.Flags, runFlags, func(name, value string) bool {
		switch name {
		case "network":
			return value == "default" || value == "none" || value == "host"
		case "security":
			return value == "sandbox" || value == "insecure"
		case "mount":
			if value == "" || strings.IndexByte(value, '"') >= 0 {
				return false // csvvalue.Fields fails on "" (EOF) and may on quotes
			}
			from := ""
			for field := range strings.SplitSeq(value, ",") {
				key, v, ok := strings.Cut(field, "=")
				if !ok || strings.ToLower(key) != "from" {
					continue
				}
				if i := strings.IndexByte(v, '$'); i != -1 && i != len(v)-1 {
					return false // "doesn't support variable expansion"
				}
				from = v
			}
			if from != "" {
				in.kind = instrRun
				in.mountFroms = append(in.mountFroms, from)
			}
			return true
		}
		return false // --device
	})
	if !ok {
		return instr{}, false
	}
	return in, true
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

// The flags instructions.parseFrom, parseCopy, parseAdd and parseRun (with
// its hooks) declare.
var (
	fromFlags = []flagSpec{{"platform", stringFlag}}
	copyFlags = []flagSpec{{"chown", stringFlag}, {"from", stringFlag}, {"chmod", stringFlag}, {"link", boolFlag}, {"exclude", stringsFlag}, {"parents", boolFlag}}
	addFlags  = []flagSpec{{"chown", stringFlag}, {"chmod", stringFlag}, {"link", boolFlag}, {"keep-git-dir", boolFlag}, {"checksum", stringFlag}, {"unpack", boolFlag}, {"exclude", stringsFlag}}
	runFlags  = []flagSpec{{"device", stringsFlag}, {"mount", stringsFlag}, {"network", stringFlag}, {"security", stringFlag}}
)

// parseFlags mirrors instructions.BFlags.Parse over the flags in spec,
// calling visit (when not nil) with each string flag's name and value. It
// returns false where BuildKit returns an error, or visit returns false.
func parseFlags(args []string, spec []flagSpec, visit func(name, value string) bool) bool {
	var used uint32
	for _, a := range args {
		if a == "--" {
			return true
		}
		if !strings.HasPrefix(a, "--") {
			return false
		}
		name, value, hasValue := strings.Cut(a, "=")
		name = name[2:]
		i := 0
		for i < len(spec) && spec[i].name != name {
			i++
		}
		if i == len(spec) {
			return false // unknown flag
		}
		kind := spec[i].kind
		if used&(1<<i) != 0 && kind != stringsFlag {
			return false // duplicate flag
		}
		used |= 1 << i
		switch kind {
		case boolFlag:
			if hasValue && value == "" {
				return false
			}
			switch strings.ToLower(value) {
			case "true", "", "false":
			default:
				return false
			}
		default:
			if !hasValue {
				return false
			}
			if visit != nil && !visit(name, value) {
				return false
			}
		}
	}
	return true
}

// commandNames are the instructions cannotFail and quickParse know.
var commandNames = []string{"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "label", "run", "user", "workdir"}

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
