package report

import (
	"reflect"
	"slices"
	"testing"
)

// TestDetail: Detail finds the one detail a diagnosis carries, whichever
// it is, so that renderers print every kind's hints the same way; every
// embedded detail type is a Detail.
func TestDetail(t *testing.T) {
	so := &StackOverflow{Hints: []string{"bound the recursion"}}
	d := Diagnosis{Kind: KindStackOverflow, StackOverflow: so}
	if d.Detail() != Detail(so) || !slices.Equal(d.Hints(), so.Hints) {
		t.Errorf("detail %v, hints %q", d.Detail(), d.Hints())
	}
	if (&Diagnosis{Kind: KindAbort}).Detail() != nil {
		t.Error("a diagnosis without a detail has one")
	}
	typ := reflect.TypeOf(Diagnosis{})
	detail := reflect.TypeOf((*Detail)(nil)).Elem()
	n := 0
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.Anonymous {
			continue
		}
		n++
		if !f.Type.Implements(detail) {
			t.Errorf("%s is not a Detail", f.Type)
		}
		// Set only this one: Detail must return it.
		v := reflect.New(typ).Elem()
		v.Field(i).Set(reflect.New(f.Type.Elem()))
		d := v.Interface().(Diagnosis)
		if got := d.Detail(); got == nil || reflect.TypeOf(got) != f.Type {
			t.Errorf("with only %s set, Detail() = %T", f.Type, got)
		}
	}
	if n != 8 {
		t.Errorf("%d embedded details, want 8", n)
	}
}
