package dockerfile

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// argDecl is a global ARG (declared before the first FROM).
type argDecl struct {
	val     []ochar
	set     bool
	bkValue string  // the value as BuildKit expands it
	regions []int16 // its own region and those of the ARGs its value uses
}

// scanDockerfile parses a Dockerfile with BuildKit's parser and instruction
// parser, and finds every image reference a build would pull.
func scanDockerfile(data []byte, marker string) (*scan, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, &fileError{kind: ErrMalformed, err: err}
	}
	nodes := res.AST.Children
	sc := &scan{kind: KindDockerfile, src: newSource(data), regions: make([]region, 0, 8), cands: make([]candidate, 0, 4)}
	sc.syntaxDirective()
	d := &dfScanner{sc: sc, esc: byte(res.EscapeToken), marker: marker, meta: map[string]*argDecl{}}
	var stageNames []string // the stage names so far, lower case
	var early []int         // the COPY --from and --mount from= candidates, checked again once every stage name is known
	seenFrom := false
	for _, n := range nodes {
		if cannotFail(n) {
			// Most instructions are of this kind; BuildKit's instruction
			// parser always accepts them and they hold no image
			// (TestCannotFailAgreesWithBuildKit), so skip its cost.
			if !seenFrom {
				return nil, &fileError{kind: ErrMalformed, detail: fmt.Sprintf("line %d: %s before the first FROM", n.StartLine, strings.ToUpper(n.Value))}
			}
			continue
		}
		if seenFrom && lowerCommand(n.Value) == "arg" && argCannotFail(n) {
			// An ARG in a stage is never read (only global ARGs feed a
			// FROM): knowing BuildKit accepts it is enough.
			continue
		}
		in, err := parseInstruction(n)
		if err != nil {
			return nil, err
		}
		switch in.kind {
		case instrFrom:
			seenFrom = true
			d.from(n, in.base, stageNames)
			if in.name != "" {
				stageNames = append(stageNames, in.name)
			}
			continue
		case instrArg:
			if !seenFrom {
				d.metaArg(n, in.args)
			}
			continue
		}
		if !seenFrom {
			return nil, &fileError{kind: ErrMalformed, detail: fmt.Sprintf("line %d: %s before the first FROM", n.StartLine, strings.ToUpper(n.Value))}
		}
		switch in.kind {
		case instrCopy:
			if !isStage(in.from, stageNames) {
				early = append(early, len(sc.cands))
				d.copyFrom(n, in.from)
			}
		case instrRun:
			for _, from := range in.mountFroms {
				if !isStage(from, stageNames) {
					early = append(early, len(sc.cands))
					d.mountFrom(n, from)
				}
			}
		}
	}
	// COPY --from and --mount from= may name a stage defined further down.
	sc.dropStages(early, stageNames)
	return sc, nil
}

// dropStages drops the candidates at the indexes early (in order) that name
// a stage, and renumbers the ARG regions' users.
func (sc *scan) dropStages(early []int, stageNames []string) {
	var drop []int
	for _, i := range early {
		if isStage(sc.cands[i].text, stageNames) {
			drop = append(drop, i)
		}
	}
	if len(drop) == 0 {
		return
	}
	newIndex := make([]int, len(sc.cands))
	kept := sc.cands[:0]
	for i, c := range sc.cands {
		newIndex[i] = len(kept)
		if len(drop) > 0 && drop[0] == i {
			drop = drop[1:]
			continue
		}
		kept = append(kept, c)
	}
	sc.cands = kept
	for r := range sc.regions {
		for k, u := range sc.regions[r].users {
			sc.regions[r].users[k] = newIndex[u]
		}
	}
}

// cannotFail reports whether instructions.ParseInstruction is certain to
// accept n, which holds no image reference: a RUN, CMD or ENTRYPOINT without
// flags, or a flagless WORKDIR, USER, EXPOSE, COPY, ENV or LABEL with the
// arguments BuildKit checks.
func cannotFail(n *parser.Node) bool {
	if len(n.Flags) != 0 {
		return false
	}
	switch lowerCommand(n.Value) {
	case "run", "cmd", "entrypoint":
		return true
	case "workdir", "user":
		return argCount(n) == 1
	case "expose":
		return argCount(n) >= 1
	case "copy":
		// parseCopy wants a source and a destination, and no heredoc as the
		// destination.
		k := 0
		for a := n.Next; a != nil; a = a.Next {
			if len(a.Children) != 0 || strings.Contains(a.Value, "<<") {
				return false
			}
			k++
		}
		return k >= 2
	case "env", "label":
		k := 0
		for a := n.Next; a != nil; a = a.Next {
			if len(a.Children) != 0 || (k%3 == 0 && a.Value == "") {
				return false
			}
			k++
		}
		return k > 0 && k%3 == 0
	}
	return false
}

// argCount counts n's arguments as instructions.nodeArgs does, or returns -1
// when an argument is a sub-command.
func argCount(n *parser.Node) int {
	k := 0
	for a := n.Next; a != nil; a = a.Next {
		if len(a.Children) != 0 {
			return -1
		}
		k++
	}
	return k
}

// isStage reports whether a COPY --from or RUN --mount from= value names a
// stage (by name, anywhere in the file, or by index) rather than an image.
func isStage(from string, stageNames []string) bool {
	if mayBeInt(from) {
		if _, err := strconv.Atoi(from); err == nil {
			return true
		}
	}
	for _, s := range stageNames {
		if strings.EqualFold(s, from) {
			return true
		}
	}
	return false
}

// mayBeInt reports whether strconv.Atoi might accept s: a sign and digits.
// It spares Atoi's error, which allocates, for stage names.
func mayBeInt(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type dfScanner struct {
	sc     *scan
	esc    byte
	marker string
	meta   map[string]*argDecl
	bkEnv  []string
	lex    *shell.Lex // made on first use
}

// processWord expands word the way BuildKit expands a FROM or a global ARG.
func (d *dfScanner) processWord(word string) (string, error) {
	if d.lex == nil {
		d.lex = shell.NewLex(rune(d.esc))
	}
	res, err := d.lex.ProcessWordWithMatches(word, shell.EnvsFromSlice(d.bkEnv))
	return res.Result, err
}

var directiveRe = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)

// syntaxDirective finds the `# syntax=` parser directive, read the way
// BuildKit's DirectiveParser reads the leading comment lines.
func (sc *scan) syntaxDirective() {
	for i := range sc.src.lines {
		b, off := sc.src.line(i)
		t := bytes.TrimLeftFunc(b, unicode.IsSpace)
		off += len(b) - len(t)
		if len(t) == 0 || t[0] != '#' {
			return
		}
		rest := bytes.TrimLeftFunc(t[1:], unicode.IsSpace)
		off += len(t) - len(rest)
		m := directiveRe.FindSubmatchIndex(rest)
		if m == nil {
			return
		}
		switch strings.ToLower(string(rest[m[2]:m[3]])) {
		case "syntax":
			r := sc.addRegion(region{instr: "# syntax"})
			chars := make([]ochar, 0, m[5]-m[4])
			for k := m[4]; k < m[5]; k++ {
				chars = append(chars, ochar{off: int32(off + k), region: r, c: rest[k]})
			}
			sc.cands = append(sc.cands, candidate{instr: "# syntax", line: i + 1, chars: chars, text: string(rest[m[4]:m[5]])})
		case "escape", "check":
		default:
			return
		}
	}
}

// mapped returns the bytes of w as reference bytes placed in the file.
func mapped(l logical, w word, region int16) []ochar {
	out := make([]ochar, len(w.text))
	for i, c := range w.text {
		out[i] = ochar{off: l.off(w.pos[i]), region: region, c: c}
	}
	return out
}

func sameFlags(mine []word, ast []string) bool {
	if len(mine) != len(ast) {
		return false
	}
	for i := range mine {
		if string(mine[i].text) != ast[i] {
			return false
		}
	}
	return true
}

const reasonNotFound = "could not find the reference's bytes in the file"

// metaArg records a global ARG's declarations.
func (d *dfScanner) metaArg(n *parser.Node, args []argPair) {
	l := d.sc.src.logicalLine(n.StartLine, d.esc)
	_, flags, rest, end := l.split(d.esc)
	ws := parseWords(l.text, rest, end, d.esc)
	located := len(flags) == 0 && len(ws) == len(args)
	optOut := d.sc.src.optedOut(n.StartLine, d.marker)
	for i, kv := range args {
		decl := &argDecl{set: kv.set}
		var raw []ochar
		if located {
			w := ws[i]
			eq := bytes.IndexByte(l.text[w[0]:w[1]], '=')
			if eq >= 0 && string(l.text[w[0]:w[0]+eq]) == kv.key && kv.set && string(l.text[w[0]+eq+1:w[1]]) == kv.value {
				from := w[0] + eq + 1
				r := d.sc.addRegion(region{instr: "ARG", name: kv.key, optOut: optOut})
				decl.regions = append(decl.regions, r)
				raw = rawChars(l, from, w[1], r)
			}
		}
		if kv.set {
			x := d.expander()
			if raw == nil {
				raw = opaque(kv.value)
				x.bad = true
			}
			decl.val = x.expand(raw)
			decl.bkValue = ocharsString(decl.val)
			var err error
			if x.bad {
				// Beyond what the expander follows: take BuildKit's value, and
				// no byte of it can be rewritten.
				decl.bkValue, err = d.processWord(kv.value)
				decl.val = opaque(decl.bkValue)
			}
			for _, u := range x.used {
				if dep := d.meta[u]; dep != nil {
					decl.regions = append(decl.regions, dep.regions...)
				}
			}
			if err == nil {
				d.bkEnv = append(d.bkEnv, kv.key+"="+decl.bkValue)
			}
		}
		if !decl.set {
			// A redeclaration without a value keeps an earlier default.
			if prev := d.meta[kv.key]; prev != nil {
				continue
			}
		}
		d.meta[kv.key] = decl
	}
}

func (d *dfScanner) expander() *expander {
	return &expander{esc: d.esc, lookup: func(name string) ([]ochar, bool) {
		a := d.meta[name]
		if a == nil || !a.set {
			return nil, false
		}
		return a.val, true
	}}
}

// from records the image of a FROM, unless it names an earlier stage.
func (d *dfScanner) from(n *parser.Node, base string, earlier []string) {
	l := d.sc.src.logicalLine(n.StartLine, d.esc)
	_, flags, rest, end := l.split(d.esc)
	ws, we, found := firstField(l.text, rest, end)
	r := d.sc.addRegion(region{instr: "FROM"})
	cand := candidate{instr: "FROM", line: n.StartLine, optOut: d.sc.src.optedOut(n.StartLine, d.marker)}
	d.sc.regions[r].optOut = cand.optOut
	var raw []ochar
	var used []string
	if found && sameFlags(flags, n.Flags) && string(l.text[ws:we]) == base {
		raw = rawChars(l, ws, we, r)
		cand.line = d.sc.src.lineOf(int(l.off(ws)))
	} else {
		raw = opaque(base)
		cand.reason = reasonNotFound
	}
	if !strings.ContainsAny(base, "$'\"") && strings.IndexByte(base, d.esc) < 0 {
		cand.chars, cand.text = raw, base
	} else {
		x := d.expander()
		cand.chars = x.expand(raw)
		cand.text = ocharsString(cand.chars)
		if x.bad {
			// Beyond what the expander follows: take BuildKit's result, and no
			// byte of it can be rewritten.
			cand.text, _ = d.processWord(base)
			cand.chars = opaque(cand.text)
			if cand.reason == "" {
				cand.reason = fmt.Sprintf("cannot follow the variables in %q", base)
			}
		}
		cand.unset = x.unset
		used = x.used
	}
	for _, s := range earlier {
		if s == cand.text {
			return // FROM <stage>: not an image
		}
	}
	idx := len(d.sc.cands)
	seen := map[int16]bool{}
	for _, u := range used {
		if a := d.meta[u]; a != nil {
			for _, reg := range a.regions {
				if !seen[reg] {
					seen[reg] = true
					d.sc.regions[reg].users = append(d.sc.regions[reg].users, idx)
				}
			}
		}
	}
	d.sc.cands = append(d.sc.cands, cand)
}

// copyFrom records the image of COPY --from=<image>.
func (d *dfScanner) copyFrom(n *parser.Node, from string) {
	l := d.sc.src.logicalLine(n.StartLine, d.esc)
	_, flags, _, _ := l.split(d.esc)
	r := d.sc.addRegion(region{instr: "COPY --from"})
	cand := candidate{instr: "COPY --from", line: n.StartLine, optOut: d.sc.src.optedOut(n.StartLine, d.marker), text: from}
	if sameFlags(flags, n.Flags) {
		for _, f := range flags {
			if v, ok := bytes.CutPrefix(f.text, []byte("--from=")); ok && string(v) == from {
				w := word{text: v, pos: f.pos[len("--from="):]}
				cand.chars = mapped(l, w, r)
				break
			}
		}
	}
	if cand.chars == nil {
		cand.chars = opaque(from)
		cand.reason = reasonNotFound
	}
	if strings.Contains(from, "$") {
		cand.reason = "COPY --from does not expand variables"
	}
	d.sc.cands = append(d.sc.cands, cand)
}

// mountFrom records the image of RUN --mount=...,from=<image>.
func (d *dfScanner) mountFrom(n *parser.Node, from string) {
	l := d.sc.src.logicalLine(n.StartLine, d.esc)
	_, flags, _, _ := l.split(d.esc)
	r := d.sc.addRegion(region{instr: "RUN --mount"})
	cand := candidate{instr: "RUN --mount", line: n.StartLine, optOut: d.sc.src.optedOut(n.StartLine, d.marker), text: from}
	if sameFlags(flags, n.Flags) {
	search:
		for _, f := range flags {
			v, ok := bytes.CutPrefix(f.text, []byte("--mount="))
			if !ok || bytes.IndexByte(v, '"') >= 0 {
				continue
			}
			base := len("--mount=")
			for start := 0; start <= len(v); {
				end := bytes.IndexByte(v[start:], ',')
				if end < 0 {
					end = len(v)
				} else {
					end += start
				}
				field := v[start:end]
				if eq := bytes.IndexByte(field, '='); eq >= 0 && strings.EqualFold(string(field[:eq]), "from") && string(field[eq+1:]) == from {
					s := base + start + eq + 1
					w := word{text: f.text[s : base+end], pos: f.pos[s : base+end]}
					cand.chars = mapped(l, w, r)
					break search
				}
				start = end + 1
			}
		}
	}
	if cand.chars == nil {
		cand.chars = opaque(from)
		cand.reason = reasonNotFound
	}
	if strings.Contains(from, "$") {
		cand.reason = "RUN --mount from= does not expand variables"
	}
	d.sc.cands = append(d.sc.cands, cand)
}
