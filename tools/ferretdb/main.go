// Command ferretdb-kura runs FerretDB 1.24 with its SQLite backend as Kura's
// local data tier. It embeds FerretDB's library package instead of its
// command, whose version file is generated at release time and is missing
// from the module. The embeddable package keeps telemetry disabled.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when KURA_FERRETDB_PPROF names a loopback address
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on (loopback only)")
	dataDir := flag.String("data-dir", "", "directory for the SQLite databases (required)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if err := run(*listen, *dataDir, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-kura:", err)
		os.Exit(1)
	}
}

func run(listen, dataDir, logLevel string) error {
	gcPercent, memoryLimit := tuneGC()

	if dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: only loopback addresses are allowed", listen)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", abs, err)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: %w", logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// FerretDB itself listens on a private Unix socket; clients reach it
	// through the serializing proxy on --listen (see serialize.go).
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	socket := filepath.Join(os.TempDir(), fmt.Sprintf("ferretdb-kura-%d.sock", os.Getpid()))
	_ = os.Remove(socket)
	defer os.Remove(socket)

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{Unix: socket},
		Logger:   logger,
		Handler:  "sqlite",
		// Memory-mapped reads: large message documents span overflow pages, and reading them page by page
		// through read(2) cost more than decoding them. 2 GB is the most SQLite maps (SQLITE_MAX_MMAP_SIZE);
		// a 10,000-message store is about 1.5 GB, and past the mapping pages are read as before.
		SQLiteURL: "file:" + abs + "/?_pragma=mmap_size(2147418112)",
	})
	if err != nil {
		return err
	}

	// Go's CPU and heap profiles of the data tier, for benchmarks: KURA_FERRETDB_PPROF=127.0.0.1:PORT.
	if addr := os.Getenv("KURA_FERRETDB_PPROF"); addr != "" {
		if h, _, err := net.SplitHostPort(addr); err != nil || net.ParseIP(h) == nil || !net.ParseIP(h).IsLoopback() {
			return fmt.Errorf("KURA_FERRETDB_PPROF %q: only loopback addresses are allowed", addr)
		}
		go func() { logger.Warn("pprof stopped", "error", http.ListenAndServe(addr, nil)) }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	proxy := &serializer{backendNetwork: "unix", backendAddress: socket, logger: logger}

	// The slow-command log (slowlog.go): KURA_FERRETDB_SLOW_MS=N, JSON lines on standard error, whatever --log-level.
	if v := os.Getenv("KURA_FERRETDB_SLOW_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return fmt.Errorf("KURA_FERRETDB_SLOW_MS %q: a number of milliseconds (0 logs every command)", v)
		}
		proxy.slow = &slowLog{after: time.Duration(ms) * time.Millisecond, logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
	}
	proxyDone := make(chan error, 1)
	go func() { proxyDone <- proxy.serve(ctx, ln) }()

	logger.Info("ferretdb-kura listening", "listen", listen, "data", abs, "gc_percent", gcPercent, "memory_limit", memoryLimit)
	if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return <-proxyDone
}
