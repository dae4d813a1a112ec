package main

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"time"
)

// The slow-command log: with KURA_FERRETDB_SLOW_MS=N the launcher writes one JSON line to its standard error for
// every command that took N ms or more (0: every command), naming the command, its collection and the field names
// of its filter and projection. Values are never written: they hold addresses, subjects and message text. This is
// how an operator finds the query that makes a mailbox slow, and how Kura's tests see what WildDuck asks for.
type slowLog struct {
	after  time.Duration
	logger *slog.Logger
}

// record writes the line when the command took long enough.
func (l *slowLog) record(request []byte, took time.Duration) {
	if l == nil || took < l.after {
		return
	}
	s := shapeOf(request)
	l.logger.Warn("slow command", "command", s.name, "collection", s.collection, "filter", s.filter,
		"projection", s.projection, "ms", took.Milliseconds())
}

// commandShape is a request without its values.
type commandShape struct {
	name, collection   string
	filter, projection []string
}

// shapeOf reads the command name, its collection (a string first value) and the top-level field names of the
// filter (filter, query; the first statement's q for update and delete) and the projection (projection, fields).
func shapeOf(message []byte) commandShape {
	var s commandShape
	body := commandBody(message)
	if body == nil {
		return s
	}
	first := true
	eachElement(body, func(kind byte, name string, value []byte) {
		if first {
			first = false
			s.name = name
			if kind == 0x02 && len(value) > 4 {
				s.collection = string(bytes.TrimSuffix(value[4:], []byte{0}))
			}
			return
		}
		switch {
		case kind == 0x03 && (name == "filter" || name == "query" || name == "q"):
			s.filter = fieldNames(value)
		case kind == 0x03 && (name == "projection" || name == "fields"):
			s.projection = fieldNames(value)
		case kind == 0x04 && (name == "updates" || name == "deletes"):
			// update and delete carry their filters in statements: the first one's
			first := true
			eachElement(value, func(kind byte, _ string, statement []byte) {
				if first && kind == 0x03 {
					s.filter = statementFilter(statement)
				}
				first = false
			})
		}
	})
	// drivers may send the statements as a document sequence instead
	if s.filter == nil && (s.name == "update" || s.name == "delete") {
		eachSection(message, func(kind byte, payload []byte) {
			if kind != 1 || s.filter != nil {
				return
			}
			nameEnd := bytes.IndexByte(payload, 0)
			if nameEnd < 0 {
				return
			}
			if statement, _ := nextDocument(payload[nameEnd+1:]); statement != nil {
				s.filter = statementFilter(statement)
			}
		})
	}
	return s
}

func fieldNames(doc []byte) []string {
	names := []string{}
	eachElement(doc, func(_ byte, name string, _ []byte) { names = append(names, name) })
	return names
}

// commandBody returns an OP_MSG's body document (its kind-0 section), or nil.
func commandBody(message []byte) []byte {
	var body []byte
	eachSection(message, func(kind byte, payload []byte) {
		if kind == 0 && body == nil {
			body = payload
		}
	})
	return body
}

// eachSection calls f for each section of an OP_MSG: kind 0 with the body document, kind 1 with the document
// sequence's identifier and documents (after its length). It stops at anything malformed.
func eachSection(message []byte, f func(kind byte, payload []byte)) {
	if len(message) < 21 || opCode(message) != opMsg {
		return
	}
	end := len(message)
	if binary.LittleEndian.Uint32(message[16:20])&1 != 0 { // checksumPresent
		end -= 4
	}
	for i := 20; i < end; {
		kind := message[i]
		i++
		if i+4 > end {
			return
		}
		size := int(binary.LittleEndian.Uint32(message[i : i+4]))
		if size < 5 || i+size > end {
			return
		}
		if kind == 0 {
			f(kind, message[i:i+size])
		} else {
			f(kind, message[i+4:i+size])
		}
		i += size
	}
}

// statementFilter returns the field names of an update or delete statement's q, or nil.
func statementFilter(statement []byte) []string {
	var filter []string
	eachElement(statement, func(kind byte, name string, q []byte) {
		if kind == 0x03 && name == "q" {
			filter = fieldNames(q)
		}
	})
	return filter
}

// nextDocument splits the first BSON document off a run of documents.
func nextDocument(b []byte) (doc, rest []byte) {
	if len(b) < 5 {
		return nil, nil
	}
	n := int(int32(binary.LittleEndian.Uint32(b[:4])))
	if n < 5 || n > len(b) {
		return nil, nil
	}
	return b[:n], b[n:]
}

// eachElement calls f for each element of a BSON document, in order, and stops at anything malformed.
func eachElement(doc []byte, f func(kind byte, name string, value []byte)) {
	if len(doc) < 5 {
		return
	}
	for i := 4; i < len(doc)-1; {
		kind := doc[i]
		nameEnd := bytes.IndexByte(doc[i+1:], 0)
		if nameEnd < 0 {
			return
		}
		name := string(doc[i+1 : i+1+nameEnd])
		start := i + 1 + nameEnd + 1
		size := valueSize(kind, doc[start:])
		if size < 0 || start+size > len(doc) {
			return
		}
		f(kind, name, doc[start:start+size])
		i = start + size
	}
}

// valueSize is the length of a BSON value of the given type at the start of b, or -1.
func valueSize(kind byte, b []byte) int {
	length := func(extra int) int {
		if len(b) < 4 {
			return -1
		}
		return int(int32(binary.LittleEndian.Uint32(b[:4]))) + extra
	}
	switch kind {
	case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
		return 8
	case 0x02, 0x0D, 0x0E: // string, JavaScript, symbol: length-prefixed
		return length(4)
	case 0x03, 0x04: // document, array: their length counts itself
		return length(0)
	case 0x05: // binary: length, subtype, bytes
		return length(5)
	case 0x07: // ObjectId
		return 12
	case 0x08: // boolean
		return 1
	case 0x0A, 0xFF, 0x7F: // null, min key, max key
		return 0
	case 0x0B: // regular expression: two C strings
		p := bytes.IndexByte(b, 0)
		if p < 0 {
			return -1
		}
		o := bytes.IndexByte(b[p+1:], 0)
		if o < 0 {
			return -1
		}
		return p + 1 + o + 1
	case 0x10: // int32
		return 4
	case 0x13: // decimal128
		return 16
	case 0x0C: // DBPointer: string, ObjectId
		return length(4 + 12)
	case 0x0F: // code with scope: length counts itself
		return length(0)
	}
	return -1
}
