package main

import (
	"os"
	"runtime/debug"
)

// The data tier allocates a great deal of short-lived memory: every document read is decoded
// from SQLite's JSON into FerretDB's types and encoded again as BSON, and a message document
// runs to hundreds of kilobytes. With Go's default (GOGC=100) the collector ran so often that
// it took about 40 % of the data tier's CPU while reading mail (BODY[], POP3 RETR) and about
// 15 % while storing it. Collecting at 5× the live heap instead, bounded by a soft memory
// limit, takes most of that back for a few hundred megabytes of memory (docs/BENCHMARKS.md).
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 512 << 20
)

// tuneGC applies Kura's defaults unless the operator set GOGC or GOMEMLIMIT, which the Go
// runtime has then already applied; it returns what is in force.
func tuneGC() (gcPercent int, memoryLimit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}

	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}

	// reading a setting means setting it: put back what was read
	gcPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)

	return gcPercent, debug.SetMemoryLimit(-1)
}
