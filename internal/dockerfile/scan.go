package dockerfile

// region is one place in a file that reference bytes can come from: an
// instruction, a global ARG's value, a compose value.
type region struct {
	instr  string // "FROM", "ARG", "COPY --from", "RUN --mount", "# syntax", "image"
	name   string // the ARG's name, for ARG regions
	optOut bool   // the instruction is opted out
	users  []int  // for ARG regions: the candidates whose reference uses the ARG
}

// candidate is one image reference a build would pull, before it is
// compared with the image being bumped.
type candidate struct {
	instr  string
	line   int     // 1-based line of the instruction
	chars  []ochar // the reference, expanded, byte by byte
	text   string  // the reference as the build resolves it
	optOut bool
	reason string   // why it cannot be rewritten, found while scanning
	unset  []string // variables it uses that have no value
	// nameFromVarSkips is set for compose files, where an image name that
	// comes from a variable is never rewritten.
	nameFromVarSkips bool
}

// scan is what a parse of one file found.
type scan struct {
	kind    Kind
	src     *source
	regions []region
	cands   []candidate
}

func (sc *scan) addRegion(r region) int16 {
	sc.regions = append(sc.regions, r)
	return int16(len(sc.regions) - 1)
}

// opaque returns text as reference bytes with no known place in the file.
func opaque(text string) []ochar {
	out := make([]ochar, len(text))
	for i := 0; i < len(text); i++ {
		out[i] = ochar{off: -1, region: -1, c: text[i]}
	}
	return out
}
