package main

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"
)

// buildMsg builds an OP_MSG whose body is {name: value, $db: "d"} with value a string or an int32.
func buildMsg(name string, value any, sequence bool) []byte {
	var elems []byte
	switch v := value.(type) {
	case string:
		elems = append(elems, 0x02)
		elems = append(elems, name...)
		elems = append(elems, 0)
		elems = binary.LittleEndian.AppendUint32(elems, uint32(len(v)+1))
		elems = append(elems, v...)
		elems = append(elems, 0)
	case int32:
		elems = append(elems, 0x10)
		elems = append(elems, name...)
		elems = append(elems, 0)
		elems = binary.LittleEndian.AppendUint32(elems, uint32(v))
	}
	elems = append(elems, 0x02)
	elems = append(elems, "$db\x00"...)
	elems = binary.LittleEndian.AppendUint32(elems, 2)
	elems = append(elems, "d\x00"...)
	body := binary.LittleEndian.AppendUint32(nil, uint32(len(elems)+5))
	body = append(body, elems...)
	body = append(body, 0)

	msg := make([]byte, 16)
	binary.LittleEndian.PutUint32(msg[12:], opMsg)
	msg = binary.LittleEndian.AppendUint32(msg, 0)
	if sequence { // a document sequence (kind 1) before the body, as some drivers send inserts
		seq := binary.LittleEndian.AppendUint32(nil, 4+10+5)
		seq = append(seq, "documents\x00"...)
		seq = append(seq, 5, 0, 0, 0, 0)
		msg = append(msg, 1)
		msg = append(msg, seq...)
	}
	msg = append(msg, 0)
	msg = append(msg, body...)
	binary.LittleEndian.PutUint32(msg[0:], uint32(len(msg)))
	return msg
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		msg  []byte
		want command
	}{
		{buildMsg("find", "messages", false), command{access: accessRead}},
		{buildMsg("getMore", int32(5), false), command{access: accessRead}},
		{buildMsg("insert", "messages", false), command{access: accessWrite, collection: "messages"}},
		{buildMsg("insert", "fs.chunks", true), command{access: accessWrite, collection: "fs.chunks"}},
		{buildMsg("findAndModify", "mailboxes", false), command{access: accessWrite, collection: "mailboxes"}},
		{buildMsg("update", "users", false), command{access: accessWrite, collection: "users"}},
		{buildMsg("createIndexes", "messages", false), command{access: accessExclusive}},
		{buildMsg("dropDatabase", int32(1), false), command{access: accessExclusive}},
		{buildMsg("aggregate", "messages", false), command{access: accessRead}},
		{[]byte{1, 2, 3}, command{access: accessExclusive}},
	} {
		if got := classify(tc.msg); got != tc.want {
			t.Errorf("classify(%q) = %+v, want %+v", tc.msg, got, tc.want)
		}
	}
}

// A write to one collection waits for another write to it, but neither a read nor a write to
// another collection waits for it.
func TestCommandLocks(t *testing.T) {
	var l commandLocks
	release := l.acquire(command{access: accessWrite, collection: "fs.chunks"})

	done := make(chan string, 3)
	var wg sync.WaitGroup
	for _, c := range []command{
		{access: accessRead},
		{access: accessWrite, collection: "messages"},
		{access: accessWrite, collection: "fs.chunks"},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.acquire(c)()
			done <- c.collection
		}()
	}

	for range 2 {
		select {
		case got := <-done:
			if got == "fs.chunks" {
				t.Fatal("a second write to fs.chunks ran while the first held its lock")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a read or a write to another collection waited for the fs.chunks write")
		}
	}
	select {
	case <-done:
		t.Fatal("a second write to fs.chunks ran while the first held its lock")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	wg.Wait()
	if got := <-done; got != "fs.chunks" {
		t.Fatalf("got %q", got)
	}
}
