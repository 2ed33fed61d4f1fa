package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// MarshalJSON writes a diagnosis as one flat object: kind, thread, summary
// and explanation, then the fields of each detail struct that is set, in
// their declared order. encoding/json would silently drop every field name
// that two embedded detail structs share (pc, where, caller, slot, link), even
// when only one of them is set; merging them by hand keeps them all. When two
// set details share a key, the first one's value is kept.
func (d Diagnosis) MarshalJSON() ([]byte, error) {
	type head struct {
		Kind        Kind     `json:"kind"`
		Thread      int      `json:"thread,omitempty"`
		Summary     string   `json:"summary"`
		Explanation []string `json:"explanation,omitempty"`
	}
	parts := []any{head{d.Kind, d.Thread, d.Summary, d.Explanation}}
	// Every embedded detail pointer of Diagnosis, in declared order.
	v := reflect.ValueOf(d)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); v.Type().Field(i).Anonymous && f.Kind() == reflect.Pointer && !f.IsNil() {
			parts = append(parts, f.Interface())
		}
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	seen := map[string]bool{}
	for _, p := range parts {
		// Not json.Marshal: the caller's encoder decides on HTML
		// escaping when it compacts what this method returns.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p); err != nil {
			return nil, err
		}
		if err := mergeObject(&buf, b.Bytes(), seen); err != nil {
			return nil, fmt.Errorf("report: diagnosis %s: %w", d.Kind, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// mergeObject appends the members of the JSON object obj to buf (which
// holds an object being written, without its closing brace), skipping keys
// already in seen.
func mergeObject(buf *bytes.Buffer, obj []byte, seen map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("detail is not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(val)
	}
	return nil
}
