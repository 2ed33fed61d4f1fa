// Package cxxexception recovers the C++ exception that reached
// std::terminate — what libstdc++'s verbose terminate handler prints as
// "terminate called after throwing an instance of 'std::runtime_error'
// what(): …" — from the values a crashed thread's frames hold.
//
// libstdc++ (libsupc++/unwind-cxx.h) allocates each thrown object behind a
// __cxa_exception header whose last member is the generic
// _Unwind_Exception (Itanium C++ ABI 2.2): its first word, the exception
// class, is "GNUCC++\0" for a primary exception, which is what identifies
// it in memory. On x86-64 the header's fields before that are exceptionType
// (std::type_info*) 80 bytes before the _Unwind_Exception, and the object
// follows the 32-byte _Unwind_Exception.
package cxxexception

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"github.com/ianlancetaylor/demangle"
)

// Memory reads the process's memory at runtime addresses.
type Memory interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// Exception classes (libsupc++/unwind-cxx.h): "GNUCC++\0" for a primary
// exception, "GNUCC++\x01" for a dependent one (std::rethrow_exception),
// read as a little-endian word.
const (
	primaryClass   = 0x474e5543432b2b00
	dependentClass = 0x474e5543432b2b01
)

// Layout of __cxa_exception on x86-64 (LP64), relative to its
// unwindHeader member.
const (
	typeOffset = 80 // exceptionType: 10 words before the _Unwind_Exception
	unwindSize = 32 // sizeof(_Unwind_Exception): the thrown object follows
)

// Exception is the exception that terminated the program.
type Exception struct {
	// Type is the thrown type, demangled ("std::runtime_error").
	Type string
	// What is what() for the standard exceptions that keep their
	// message in a string libstdc++ lays out known way; "" otherwise.
	What   string
	Header uint64 // address of its _Unwind_Exception
	Object uint64 // address of the thrown object
}

// Limits.
const (
	maxTypeName = 1024
	maxWhat     = 64 << 10
)

// Find looks among values (the registers and stack slots of the
// terminating thread's frames, innermost first) for a pointer to a
// primary exception's _Unwind_Exception or to its thrown object, and
// returns the first one found.
func Find(mem Memory, values []uint64) (Exception, bool) {
	seen := map[uint64]bool{}
	for _, v := range values {
		for _, ue := range []uint64{v, v - unwindSize} {
			if ue < typeOffset || seen[ue] || ue%16 != 0 {
				continue
			}
			seen[ue] = true
			if e, ok := at(mem, ue); ok {
				return e, true
			}
		}
	}
	return Exception{}, false
}

// at reads an exception whose _Unwind_Exception is at ue.
func at(mem Memory, ue uint64) (Exception, bool) {
	class, ok := word(mem, ue)
	if !ok || class != primaryClass && class != dependentClass {
		return Exception{}, false
	}
	if class == dependentClass {
		// __cxa_dependent_exception (std::rethrow_exception) has
		// primaryException, the primary's thrown object, where
		// __cxa_exception has exceptionType.
		obj, ok := word(mem, ue-typeOffset)
		if !ok {
			return Exception{}, false
		}
		ue = obj - unwindSize
		if c, ok := word(mem, ue); !ok || c != primaryClass {
			return Exception{}, false
		}
	}
	ti, ok := word(mem, ue-typeOffset)
	if !ok {
		return Exception{}, false
	}
	// std::type_info is a vtable pointer, then __name: the mangled type
	// without its _Z prefix, sometimes with a leading '*' (a local type).
	namePtr, ok := word(mem, ti+8)
	if !ok {
		return Exception{}, false
	}
	raw, ok := cstring(mem, namePtr, maxTypeName)
	if !ok || raw == "" {
		return Exception{}, false
	}
	raw = strings.TrimPrefix(raw, "*")
	typ, err := demangle.ToString("_ZTS" + raw)
	if err != nil {
		return Exception{}, false
	}
	typ = strings.TrimPrefix(typ, "typeinfo name for ")
	e := Exception{Type: typ, Header: ue, Object: ue + unwindSize}
	if stdMessage[typ] {
		e.What = what(mem, e.Object)
	}
	return e, true
}

// stdMessage are the standard exceptions whose what() is their message
// member: std::logic_error and std::runtime_error and the library's own
// classes derived from them, which keep the message in a reference-counted
// string (libstdc++'s __cow_string, one pointer after the vtable). A type
// derived from them elsewhere may override what(), so it is not listed.
var stdMessage = map[string]bool{
	"std::runtime_error": true, "std::logic_error": true, "std::domain_error": true,
	"std::invalid_argument": true, "std::length_error": true, "std::out_of_range": true,
	"std::range_error": true, "std::overflow_error": true, "std::underflow_error": true,
}

// what reads the message of a std::runtime_error-like object: the
// __cow_string's pointer at obj+8 points at the characters, and the
// string's _Rep (length, capacity, refcount: 24 bytes) comes before them
// (bits/cow_string.h). The length must agree with the NUL.
func what(mem Memory, obj uint64) string {
	p, ok := word(mem, obj+8)
	if !ok || p < 24 {
		return ""
	}
	length, ok1 := word(mem, p-24)
	capacity, ok2 := word(mem, p-16)
	if !ok1 || !ok2 || length > maxWhat || capacity < length {
		return ""
	}
	b := make([]byte, length+1)
	if _, err := mem.ReadAt(b, p); err != nil || b[length] != 0 {
		return ""
	}
	s := b[:length]
	if !utf8.Valid(s) || strings.IndexByte(string(s), 0) >= 0 {
		return ""
	}
	return string(s)
}

func word(mem Memory, addr uint64) (uint64, bool) {
	var b [8]byte
	if _, err := mem.ReadAt(b[:], addr); err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}

func cstring(mem Memory, addr uint64, max int) (string, bool) {
	b := make([]byte, 0, 64)
	var c [64]byte
	for len(b) < max {
		n, _ := mem.ReadAt(c[:], addr+uint64(len(b)))
		if n == 0 {
			return "", false
		}
		if i := strings.IndexByte(string(c[:n]), 0); i >= 0 {
			return string(append(b, c[:i]...)), true
		}
		b = append(b, c[:n]...)
	}
	return "", false
}
