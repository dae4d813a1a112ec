package main

import (
	"bytes"
	"encoding/binary"
	"sync"
)

// What a request may run beside. Reads are never held back: a SELECT must not
// queue behind a 20 MB message's GridFS chunks. Writes to one collection run
// one at a time (FerretDB's read-modify-write updates are then atomic, as in
// MongoDB); writes to different collections overlap; everything else runs alone.
type access int

const (
	accessRead access = iota
	accessWrite
	accessExclusive
)

type command struct {
	access     access
	collection string
}

// readCommands change nothing stored. aggregate is a read unless it has $out or $merge.
var readCommands = map[string]bool{
	"find": true, "getMore": true, "count": true, "distinct": true, "aggregate": true,
	"listCollections": true, "listIndexes": true, "listDatabases": true, "explain": true,
	"hello": true, "isMaster": true, "ismaster": true, "ping": true, "buildInfo": true, "buildinfo": true,
	"getParameter": true, "serverStatus": true, "dbStats": true, "collStats": true, "dataSize": true,
	"connectionStatus": true, "whatsmyuri": true, "getLog": true, "hostInfo": true, "getCmdLineOpts": true,
	"saslStart": true, "saslContinue": true, "endSessions": true, "killCursors": true,
}

// writeCommands name the one collection they write as their first value.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
}

// classify reads the command name (the first key of the body) and, for writes, the collection.
// Anything it cannot parse runs alone.
func classify(message []byte) command {
	exclusive := command{access: accessExclusive}
	if len(message) < 16 {
		return exclusive
	}
	if opCode(message) != opMsg {
		// legacy OP_QUERY is only the driver's first handshake
		if opCode(message) == opQuery {
			return command{access: accessRead}
		}
		return exclusive
	}
	body := commandBody(message)
	if body == nil {
		return exclusive
	}
	return classifyBody(body)
}

func classifyBody(doc []byte) command {
	exclusive := command{access: accessExclusive}
	if len(doc) < 6 {
		return exclusive
	}
	elemType := doc[4]
	nameEnd := bytes.IndexByte(doc[5:], 0)
	if nameEnd < 0 {
		return exclusive
	}
	name := string(doc[5 : 5+nameEnd])
	if readCommands[name] {
		if name == "aggregate" && (bytes.Contains(doc, []byte("$out\x00")) || bytes.Contains(doc, []byte("$merge\x00"))) {
			return exclusive
		}
		return command{access: accessRead}
	}
	if !writeCommands[name] || elemType != 0x02 { // a write names its collection as a string
		return exclusive
	}
	v := doc[5+nameEnd+1:]
	if len(v) < 4 {
		return exclusive
	}
	n := int(binary.LittleEndian.Uint32(v[:4]))
	if n < 1 || 4+n > len(v) {
		return exclusive
	}
	return command{access: accessWrite, collection: string(v[4 : 4+n-1])}
}

// commandLocks: exclusive commands take all of it; writes share it and take their collection's lock.
type commandLocks struct {
	all         sync.RWMutex
	mu          sync.Mutex
	collections map[string]*sync.Mutex
}

func (l *commandLocks) acquire(c command) (release func()) {
	switch c.access {
	case accessRead:
		return func() {}
	case accessWrite:
		l.all.RLock()
		m := l.collection(c.collection)
		m.Lock()
		return func() {
			m.Unlock()
			l.all.RUnlock()
		}
	default:
		l.all.Lock()
		return l.all.Unlock
	}
}

func (l *commandLocks) collection(name string) *sync.Mutex {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.collections == nil {
		l.collections = map[string]*sync.Mutex{}
	}
	m, ok := l.collections[name]
	if !ok {
		m = &sync.Mutex{}
		l.collections[name] = m
	}
	return m
}
