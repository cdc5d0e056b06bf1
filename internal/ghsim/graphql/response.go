package graphql

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// object is a JSON object that keeps its keys in insertion order, so that
// the fields of data follow the order of the selection set as on GitHub.
type object struct {
	keys []string
	vals []any
}

func (o *object) set(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// MarshalJSON writes the object with its keys in order.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case *object:
		if v == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeJSON(b, v.vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case string:
		writeString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	default:
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(enc)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always encodes
	b.Write(enc)
}

// location is a position in the request document, 1-based.
type location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// apiError is one entry of the errors array of a response, in GitHub's shape:
// execution errors carry type and path, validation errors carry extensions.
type apiError struct {
	Type       string         `json:"type,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
	Locations  []location     `json:"locations,omitempty"`
	Message    string         `json:"message"`
}

// response is the body of a GraphQL answer. Data is omitted when the
// document was not executed, and Errors when there are none.
type response struct {
	Data   any        `json:"-"`
	Exec   bool       `json:"-"`
	Errors []apiError `json:"errors,omitempty"`
}

// MarshalJSON writes data (when the document was executed) before errors.
func (r *response) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if r.Exec {
		b.WriteString(`"data":`)
		if err := writeJSON(&b, r.Data); err != nil {
			return nil, err
		}
	}
	if len(r.Errors) > 0 {
		if r.Exec {
			b.WriteByte(',')
		}
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"errors":`)
		b.Write(errs)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
