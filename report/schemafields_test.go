package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestSchemaNamesEveryField: every JSON field the report types write is
// named in the schema, where the schema describes that object, so that the
// schema (and the README, which lists the schema's fields) cannot fall
// behind the code. Each diagnosis detail is checked under its kinds.
func TestSchemaNamesEveryField(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	c := &schemaCheck{t: t, defs: defs}
	rep := reflect.TypeOf(Report{})
	c.object("report", rep, root)
	// The diagnosis is one closed schema per kind (oneOf), each naming
	// its kinds in properties.kind.
	diag, _ := defs["diagnosis"].(map[string]any)
	alts, _ := diag["oneOf"].([]any)
	details := map[Kind]reflect.Type{
		KindStackOverflow: reflect.TypeOf(StackOverflow{}), KindStackSegments: reflect.TypeOf(StackSegments{}),
		KindNullCall: reflect.TypeOf(ControlFlow{}), KindBadPC: reflect.TypeOf(ControlFlow{}), KindExecNonExec: reflect.TypeOf(ControlFlow{}),
		KindAbort: reflect.TypeOf(AbortInfo{}), KindUnrelocated: reflect.TypeOf(Unrelocated{}), KindEarlyInit: reflect.TypeOf(EarlyInit{}),
		KindKilled: reflect.TypeOf(Killed{}),
	}
	for _, k := range []Kind{KindNullDereference, KindWriteToReadonly, KindInvalidAccess, KindNonCanonical, KindBusError,
		KindMisaligned, KindIllegalInstruction, KindDivideError} {
		details[k] = reflect.TypeOf(Access{})
	}
	if len(details) != len(Kinds) {
		t.Fatalf("%d kinds with a detail, %d kinds", len(details), len(Kinds))
	}
	for kind, typ := range details {
		var then map[string]any
		for _, a := range alts {
			alt := c.resolve(a.(map[string]any))
			if kindMatches(alt, kind) {
				then = alt
			}
		}
		if then == nil {
			t.Errorf("the schema has no fields for %s", kind)
			continue
		}
		c.object(string(kind), typ, then)
	}
}

type schemaCheck struct {
	t    *testing.T
	defs map[string]any
}

// object checks that schema (an object schema, or an array's, or a $ref)
// names every JSON field of typ, and recurses into fields that are
// objects the schema describes.
func (c *schemaCheck) object(where string, typ reflect.Type, schema map[string]any) {
	schema = c.resolve(schema)
	if items, ok := schema["items"].(map[string]any); ok {
		schema = c.resolve(items)
	}
	props, ok := schema["properties"].(map[string]any)
	if !ok {
		c.t.Errorf("%s: the schema lists no fields of %s", where, typ.Name())
		return
	}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (f.Anonymous && name == "") {
			continue // embedded details are checked per kind
		}
		sub, ok := props[name].(map[string]any)
		if !ok {
			c.t.Errorf("%s: the schema lacks %q (%s.%s)", where, name, typ.Name(), f.Name)
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == typ.PkgPath() {
			c.object(where+"."+name, ft, sub)
		}
	}
}

// resolve follows $refs, and picks the object or array alternative of a
// oneOf (such as the signal, null or an object; frames, null or an array).
func (c *schemaCheck) resolve(s map[string]any) map[string]any {
	for {
		if ref, ok := s["$ref"].(string); ok {
			s, _ = c.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			continue
		}
		alts, ok := s["oneOf"].([]any)
		if !ok {
			return s
		}
		next := s
		for _, a := range alts {
			if m, _ := a.(map[string]any); m["type"] == "object" || m["type"] == "array" || m["$ref"] != nil {
				next = m
			}
		}
		if reflect.ValueOf(next).Pointer() == reflect.ValueOf(s).Pointer() {
			return s
		}
		s = next
	}
}

// kindMatches reports whether a diagnosis schema is kind's, by const or
// enum.
func kindMatches(cond any, kind Kind) bool {
	m, _ := cond.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	k, _ := props["kind"].(map[string]any)
	if k["const"] == string(kind) {
		return true
	}
	enum, _ := k["enum"].([]any)
	for _, e := range enum {
		if e == string(kind) {
			return true
		}
	}
	return false
}
