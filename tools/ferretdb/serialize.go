package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// FerretDB 1.24 runs an update as read, modify, write without isolation, so
// two concurrent $inc on one document can both read the old value and one
// increment is lost. WildDuck allocates IMAP UIDs and counts quota that way,
// and concurrent deliveries then share UIDs. serializer puts a proxy in front
// of FerretDB that decides, per command, what may run side by side
// (commands.go): reads never wait; writes to one collection run one at a
// time, as if each were atomic; writes to different collections overlap;
// anything else (creating or dropping collections and indexes, unknown
// commands) runs alone. Each client keeps a backend connection of its own, so
// cursors and sessions behave as before.
type serializer struct {
	backendNetwork string
	backendAddress string
	logger         *slog.Logger
	locks          commandLocks
	slow           *slowLog // nil: off
}

const (
	opMsg          = 2013
	opQuery        = 2004
	flagMoreToCome = 1 << 1
	maxMessageSize = 64 << 20
)

func (s *serializer) serve(ctx context.Context, ln net.Listener) error {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		client, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go s.handle(client)
	}
}

func (s *serializer) handle(client net.Conn) {
	defer client.Close()
	backend, err := net.Dial(s.backendNetwork, s.backendAddress)
	if err != nil {
		s.logger.Error("cannot reach FerretDB", "error", err)
		return
	}
	defer backend.Close()
	for {
		request, err := readMessage(client)
		if err != nil {
			return
		}
		replies, err := s.roundTrip(backend, request)
		if err != nil {
			s.logger.Warn("forwarding a request failed", "error", err)
			return
		}
		for _, reply := range replies {
			if _, err := client.Write(reply); err != nil {
				return
			}
		}
	}
}

// roundTrip sends one request and reads every reply it causes, holding the
// locks its command needs while it runs.
func (s *serializer) roundTrip(backend net.Conn, request []byte) ([][]byte, error) {
	unlock := s.locks.acquire(classify(request))
	defer unlock()
	started := time.Now()
	defer func() { s.slow.record(request, time.Since(started)) }()
	if _, err := backend.Write(request); err != nil {
		return nil, err
	}
	if !expectsReply(request) {
		return nil, nil
	}
	var replies [][]byte
	for {
		reply, err := readMessage(backend)
		if err != nil {
			return nil, err
		}
		replies = append(replies, reply)
		if !moreToCome(reply) {
			return replies, nil
		}
	}
}

// readMessage reads one wire-protocol message: a little-endian int32 length
// (which counts itself), then the rest of the header and the body.
func readMessage(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(size[:]))
	if n < 16 || n > maxMessageSize {
		return nil, fmt.Errorf("invalid message length %d", n)
	}
	message := make([]byte, n)
	copy(message, size[:])
	if _, err := io.ReadFull(r, message[4:]); err != nil {
		return nil, errors.Join(errors.New("truncated message"), err)
	}
	return message, nil
}

func opCode(message []byte) uint32 { return binary.LittleEndian.Uint32(message[12:16]) }

func moreToCome(message []byte) bool {
	return opCode(message) == opMsg && len(message) >= 20 && binary.LittleEndian.Uint32(message[16:20])&flagMoreToCome != 0
}

// expectsReply: OP_MSG unless the sender set moreToCome, and legacy OP_QUERY
// (the driver's first handshake). Other legacy opcodes never get a reply.
func expectsReply(message []byte) bool {
	switch opCode(message) {
	case opMsg:
		return !moreToCome(message)
	case opQuery:
		return true
	default:
		return false
	}
}
