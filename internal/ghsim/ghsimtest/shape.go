package ghsimtest

import (
	"encoding/json"
	"fmt"
	"sort"
)

// ShapeOptions tunes ShapeDiff.
type ShapeOptions struct {
	// AllowExtraKeys accepts object keys in got that want lacks (fields
	// GitHub added after a recording was made).
	AllowExtraKeys bool
	// Ignore lists JSON paths (as ShapeDiff prints them, e.g.
	// "$.commit.verification") whose subtrees are not compared.
	Ignore []string
}

// ShapeDiff compares the shapes of two JSON documents: the same keys with
// values of the same JSON types, recursively. Values may differ. Arrays are
// compared by their first elements' shapes (an empty array matches any
// array). A null matches any type on either side, because GitHub sends null
// for absent optional objects and strings alike. It returns one line per
// difference, each naming the JSON path, sorted; nil when the shapes match.
func ShapeDiff(want, got []byte, opts ShapeOptions) ([]string, error) {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return nil, fmt.Errorf("decoding expected JSON: %w", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return nil, fmt.Errorf("decoding actual JSON: %w", err)
	}
	var diffs []string
	c := shapeCmp{opts: opts, ignore: make(map[string]bool, len(opts.Ignore))}
	for _, p := range opts.Ignore {
		c.ignore[p] = true
	}
	c.diff("$", w, g, &diffs)
	sort.Strings(diffs)
	return diffs, nil
}

type shapeCmp struct {
	opts   ShapeOptions
	ignore map[string]bool
}

func (c shapeCmp) diff(path string, want, got any, diffs *[]string) {
	if want == nil || got == nil || c.ignore[path] {
		return
	}
	if kind(want) != kind(got) {
		*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", path, kind(want), kind(got)))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok && !c.ignore[path+"."+k] {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing (want %s)", path, k, kind(wv)))
				continue
			}
			if !ok {
				continue
			}
			c.diff(path+"."+k, wv, gv, diffs)
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok && !c.opts.AllowExtraKeys && !c.ignore[path+"."+k] {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: unexpected (got %s)", path, k, kind(gv)))
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			c.diff(path+"[0]", w[0], g[0], diffs)
		}
	}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}
