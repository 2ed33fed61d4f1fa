package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// FrameList is a thread's frames. It encodes itself to JSON by hand: a
// 10,000-frame stack is most of a report, and reflection made it the
// slowest part of writing one. The output is byte-for-byte what
// encoding/json writes for []Frame (json_test.go checks it).
type FrameList []Frame

// MarshalJSON writes the frames as a JSON array.
func (fl FrameList) MarshalJSON() ([]byte, error) {
	if fl == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(fl)*256)
	return fl.appendJSON(b), nil
}

// appendJSON writes the frames as a JSON array, each physical frame
// preceded by the frames inlined into it.
func (fl FrameList) appendJSON(b []byte) []byte {
	b, _ = fl.appendJSONTo(b, nil, 0)
	return b
}

// appendJSONTo is appendJSON that writes b to w whenever it holds flushAt
// bytes or more, and returns what is not written yet; a nil w writes
// nothing.
func (fl FrameList) appendJSONTo(b []byte, w io.Writer, flushAt int) ([]byte, error) {
	b = append(b, '[')
	first := true
	for i := range fl {
		for k := range fl[i].Inlined {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = fl[i].Inlined[k].appendJSON(b)
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = fl[i].appendJSON(b)
		if w != nil && len(b) >= flushAt {
			if _, err := w.Write(b); err != nil {
				return b, err
			}
			b = b[:0]
		}
	}
	return append(b, ']'), nil
}

// appendJSONTo encodes a thread as encoding/json would, writing to w as
// FrameList.appendJSONTo does.
func (t *Thread) appendJSONTo(b []byte, w io.Writer, flushAt int) ([]byte, error) {
	b = strconv.AppendInt(append(b, `{"tid":`...), int64(t.TID), 10)
	b = strconv.AppendBool(append(b, `,"crashed":`...), t.Crashed)
	if t.Name != "" {
		b = appendString(append(b, `,"name":`...), t.Name)
	}
	b = appendString(append(b, `,"end_reason":`...), t.EndReason)
	if t.EndDetail != "" {
		b = appendString(append(b, `,"end_detail":`...), t.EndDetail)
	}
	b = append(b, `,"frames":`...)
	if t.Frames == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = t.Frames.appendJSONTo(b, w, flushAt); err != nil {
			return b, err
		}
	}
	if t.FramesOmitted != 0 {
		b = strconv.AppendInt(append(b, `,"frames_omitted":`...), int64(t.FramesOmitted), 10)
	}
	return append(b, '}'), nil
}

func (f *Frame) appendJSON(b []byte) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(f.Index), 10)
	b = appendAddr(append(b, `,"pc":`...), f.PC)
	b = appendAddr(append(b, `,"sp":`...), f.SP)
	b = appendAddr(append(b, `,"cfa":`...), f.CFA)
	b = appendString(append(b, `,"function":`...), f.Function)
	b = appendString(append(b, `,"symbol":`...), f.Symbol)
	b = strconv.AppendUint(append(b, `,"offset":`...), f.Offset, 10)
	b = appendString(append(b, `,"module":`...), f.Module)
	b = appendAddr(append(b, `,"module_offset":`...), f.ModuleOffset)
	b = appendString(append(b, `,"method":`...), string(f.Method))
	if f.Signal {
		b = append(b, `,"signal":true`...)
	}
	if f.Unreliable {
		b = append(b, `,"unreliable":true`...)
	}
	if f.File != "" {
		b = appendString(append(b, `,"file":`...), f.File)
	}
	if f.Line != 0 {
		b = strconv.AppendInt(append(b, `,"line":`...), int64(f.Line), 10)
	}
	if f.Column != 0 {
		b = strconv.AppendInt(append(b, `,"column":`...), int64(f.Column), 10)
	}
	if f.Inline {
		b = append(b, `,"inlined":true`...)
	}
	return append(b, '}')
}

func appendAddr(b []byte, a Addr) []byte {
	b = append(b, '"', '0', 'x')
	b = strconv.AppendUint(b, uint64(a), 16)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	// Names and paths are plain ASCII nearly always: eight bytes at a
	// time are checked for anything that is not (a control byte, '"',
	// '\\', a byte of a multi-byte character), then copied at once.
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if needsEscape(w) {
			break
		}
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// needsEscape reports whether any of the eight bytes in w is not copied
// as is by appendString: below 0x20, '"', '\\' or 0x80 and above. Each
// test sets a byte's high bit for a match (the classic "has a byte less
// than n" and "has a zero byte" tricks); no byte borrows from the next
// once bytes of 0x80 and above are ruled out.
func needsEscape(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if w&highs != 0 {
		return true
	}
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	return ((w-ones*0x20)|(quote-ones)|(backslash-ones))&highs != 0
}

// WriteJSON writes the report as one JSON object on one line (pipe it to
// jq to read it), streamed: the mappings and the threads, which are most
// of a report (a million mappings is 200 MB of JSON), are written one at
// a time where encoding/json wrote "mappings":null and "threads":null for
// the report without them, so memory stays one element's worth whatever
// the report's size. The threads are encoded by hand (FrameList): going
// through encoding/json, even as a json.Marshaler, would re-scan them.
// The keys cannot occur elsewhere unescaped: inside strings their quotes
// are escaped, and no nested object has such a field.
func (r *Report) WriteJSON(w io.Writer) error {
	shallow := *r
	shallow.Threads, shallow.Mappings = nil, nil
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&shallow); err != nil {
		return err
	}
	out := head.Bytes()
	bw := bufio.NewWriterSize(w, 64<<10)
	const mkey, tkey = `"mappings":null`, `"threads":null`
	mi, ti := bytes.Index(out, []byte(mkey)), bytes.Index(out, []byte(tkey))
	if mi < 0 || ti < 0 || mi > ti {
		return fmt.Errorf("report: JSON layout changed: %q at %d, %q at %d", mkey, mi, tkey, ti)
	}
	bw.Write(out[:mi])
	if r.Mappings == nil {
		bw.WriteString(mkey)
	} else {
		bw.WriteString(`"mappings":[`)
		var one bytes.Buffer
		menc := json.NewEncoder(&one)
		menc.SetEscapeHTML(false)
		for k := range r.Mappings {
			if k > 0 {
				bw.WriteByte(',')
			}
			one.Reset()
			if err := menc.Encode(&r.Mappings[k]); err != nil {
				return err
			}
			// Without the newline Encode ends a value with: one line.
			bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
		}
		bw.WriteByte(']')
	}
	bw.Write(out[mi+len(mkey) : ti])
	if r.Threads == nil {
		bw.WriteString(tkey)
	} else {
		bw.WriteString(`"threads":[`)
		buf := make([]byte, 0, 1<<16)
		for k := range r.Threads {
			if k > 0 {
				bw.WriteByte(',')
			}
			// A deep stack goes out in pieces as it is encoded.
			var err error
			if buf, err = r.Threads[k].appendJSONTo(buf[:0], bw, 64<<10); err != nil {
				return err
			}
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		bw.WriteByte(']')
	}
	bw.Write(out[ti+len(tkey):])
	return bw.Flush()
}
