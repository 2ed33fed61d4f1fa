package analyze

import "testing"

func TestStripGenerics(t *testing.T) {
	tests := []struct{ in, want string }{
		{"core::ptr::drop_in_place::<alloc::string::String>", "core::ptr::drop_in_place"},
		{"std::rt::lang_start::<()>::{closure#0}", "std::rt::lang_start::{closure#0}"},
		{"<std::sys::thread::unix::Thread>::new::thread_start", "<std::sys::thread::unix::Thread>::new::thread_start"},
		{"<alloc::vec::Vec<u8> as core::clone::Clone>::clone", "<alloc::vec::Vec as core::clone::Clone>::clone"},
		{"std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector::push_back(int const&)"},
		{"rec", "rec"},
	}
	for _, tt := range tests {
		if got := stripGenerics(tt.in); got != tt.want {
			t.Errorf("stripGenerics(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
