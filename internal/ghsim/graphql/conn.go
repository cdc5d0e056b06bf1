package graphql

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// encodeCursor returns the opaque cursor of the item at offset i (0-based).
func encodeCursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(i+1)))
}

// decodeCursor returns the offset a cursor points at.
func decodeCursor(c string) (int, error) {
	raw, err := base64.StdEncoding.DecodeString(c)
	if err == nil {
		if n, ok := strings.CutPrefix(string(raw), "cursor:v2:"); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 1 {
				return i - 1, nil
			}
		}
	}
	return 0, errorf("INVALID_CURSOR_ARGUMENTS", "`%s` does not appear to be a valid cursor.", c)
}

// connection pages items as a Relay connection (totalCount, nodes, edges,
// pageInfo) honouring first, last, after and before.
func connection(items []any, args map[string]any) (map[string]any, error) {
	start, end := 0, len(items)
	if a, ok := args["after"].(string); ok {
		i, err := decodeCursor(a)
		if err != nil {
			return nil, err
		}
		start = min(i+1, len(items))
	}
	if b, ok := args["before"].(string); ok {
		i, err := decodeCursor(b)
		if err != nil {
			return nil, err
		}
		end = max(min(i, end), start)
	}
	if f, ok := args["first"].(int); ok && start+f < end {
		end = start + max(f, 0)
	}
	if l, ok := args["last"].(int); ok && end-l > start {
		start = end - max(l, 0)
	}
	page := items[start:end]
	edges := make([]any, len(page))
	for i, n := range page {
		edges[i] = map[string]any{"node": n, "cursor": encodeCursor(start + i)}
	}
	info := map[string]any{
		"hasNextPage":     end < len(items),
		"hasPreviousPage": start > 0,
		"startCursor":     nil,
		"endCursor":       nil,
	}
	if len(page) > 0 {
		info["startCursor"] = encodeCursor(start)
		info["endCursor"] = encodeCursor(end - 1)
	}
	return map[string]any{
		"totalCount": len(items),
		"nodes":      page,
		"edges":      edges,
		"pageInfo":   info,
	}, nil
}

// toAny converts a typed slice to []any for connection.
func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

func argBool(args map[string]any, name string) (bool, bool) {
	b, ok := args[name].(bool)
	return b, ok
}

func argStrings(args map[string]any, name string) []string {
	raw, _ := args[name].([]any)
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func argInput(args map[string]any) map[string]any {
	m, _ := args["input"].(map[string]any)
	return m
}
