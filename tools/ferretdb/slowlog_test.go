package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// array marks an encoded document as a BSON array value.
type array []byte

// element encodes one BSON element; value is a string, an int32, a bool, a [12]byte ObjectId or a document.
func element(name string, value any) []byte {
	var b []byte
	switch v := value.(type) {
	case string:
		b = append(b, 0x02)
		b = append(append(b, name...), 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
		b = append(append(b, v...), 0)
	case int32:
		b = append(b, 0x10)
		b = append(append(b, name...), 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	case bool:
		b = append(b, 0x08)
		b = append(append(b, name...), 0)
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case [12]byte:
		b = append(b, 0x07)
		b = append(append(b, name...), 0)
		b = append(b, v[:]...)
	case array: // an encoded array
		b = append(b, 0x04)
		b = append(append(b, name...), 0)
		b = append(b, v...)
	case []byte: // an encoded document
		b = append(b, 0x03)
		b = append(append(b, name...), 0)
		b = append(b, v...)
	}
	return b
}

// arrayOf encodes documents as a BSON array element's value (keys "0", "1", …).
func arrayOf(docs ...[]byte) []byte {
	var elements [][]byte
	for i, d := range docs {
		e := append([]byte{0x03}, strconv.Itoa(i)...)
		elements = append(elements, append(append(e, 0), d...))
	}
	return document(elements...)
}

func document(elements ...[]byte) []byte {
	body := bytes.Join(elements, nil)
	doc := binary.LittleEndian.AppendUint32(nil, uint32(len(body)+5))
	return append(append(doc, body...), 0)
}

func opMsgWith(body []byte) []byte {
	msg := make([]byte, 16)
	binary.LittleEndian.PutUint32(msg[12:], opMsg)
	msg = binary.LittleEndian.AppendUint32(msg, 0)
	msg = append(append(msg, 0), body...)
	binary.LittleEndian.PutUint32(msg[:4], uint32(len(msg)))
	return msg
}

// TestSlowCommandLog checks what the slow-command log writes: the command, its collection and the field names of
// filter and projection, never a value; and only for commands that took long enough.
func TestSlowCommandLog(t *testing.T) {
	// WildDuck's POP3 RETR: one message by _id, mailbox and uid, its MIME tree and size
	find := opMsgWith(document(
		element("find", "messages"),
		element("filter", document(
			element("_id", [12]byte{1, 2, 3}), element("mailbox", [12]byte{4}), element("uid", int32(7)),
		)),
		element("projection", document(element("mimeTree", true), element("size", true))),
		element("limit", int32(1)),
		element("$db", "kura"),
	))
	s := shapeOf(find)
	want := commandShape{name: "find", collection: "messages", filter: []string{"_id", "mailbox", "uid"}, projection: []string{"mimeTree", "size"}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("shape %+v, want %+v", s, want)
	}

	// update: the first statement's filter
	update := opMsgWith(document(
		element("update", "messages"),
		element("updates", array(arrayOf(document(
			element("q", document(element("mailbox", [12]byte{4}), element("uid", int32(7)))),
			element("u", document(element("$set", document(element("seen", true))))),
		), document(element("q", document(element("other", int32(1)))))))),
		element("$db", "kura"),
	))
	if s := shapeOf(update); s.name != "update" || s.collection != "messages" || !reflect.DeepEqual(s.filter, []string{"mailbox", "uid"}) {
		t.Fatalf("update: %+v", s)
	}

	// the same statements as a document sequence (kind 1 section), as drivers may send them
	sequence := opMsgWith(document(element("delete", "threads"), element("$db", "kura")))
	statement := document(element("q", document(element("user", [12]byte{5}), element("updated", int32(1)))), element("limit", int32(0)))
	section := binary.LittleEndian.AppendUint32([]byte{1}, uint32(4+len("deletes\x00")+len(statement)))
	section = append(append(section, "deletes\x00"...), statement...)
	sequence = append(sequence, section...)
	binary.LittleEndian.PutUint32(sequence[:4], uint32(len(sequence)))
	if s := shapeOf(sequence); s.name != "delete" || s.collection != "threads" || !reflect.DeepEqual(s.filter, []string{"user", "updated"}) {
		t.Fatalf("delete with a document sequence: %+v", s)
	}

	// a command without a filter, and garbage
	if s := shapeOf(opMsgWith(document(element("ping", int32(1)), element("$db", "admin")))); s.name != "ping" || s.collection != "" || s.filter != nil {
		t.Fatalf("ping: %+v", s)
	}
	if s := shapeOf([]byte("not a message at all, just text")); s.name != "" {
		t.Fatalf("garbage: %+v", s)
	}

	var out bytes.Buffer
	log := &slowLog{after: 50 * time.Millisecond, logger: slog.New(slog.NewJSONHandler(&out, nil))}
	log.record(find, 10*time.Millisecond)
	if out.Len() != 0 {
		t.Fatalf("a fast command was logged: %s", out.String())
	}
	log.record(find, 80*time.Millisecond)
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", out.String())
	}
	if line["msg"] != "slow command" || line["command"] != "find" || line["collection"] != "messages" || line["ms"] != float64(80) {
		t.Fatalf("line %v", line)
	}
	if strings.Contains(out.String(), "kura\"") || !strings.Contains(out.String(), `"projection":["mimeTree","size"]`) {
		t.Fatalf("line %s", out.String())
	}

	var off *slowLog // KURA_FERRETDB_SLOW_MS unset
	off.record(find, time.Hour)
}
