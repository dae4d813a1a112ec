//go:build linux && amd64

package main

import (
	"bytes"
	"math/rand"
	"testing"
	"unsafe"

	"modernc.org/libc"
)

// TestLibcMemoryFunctions checks Kura's libc patch (libc-patches/): memcmp, memcpy and memmove, now on Go's
// bytes.Compare and copy, keep C's semantics, which SQLite relies on.
func TestLibcMemoryFunctions(t *testing.T) {
	tls := libc.NewTLS()
	defer tls.Close()

	r := rand.New(rand.NewSource(1))
	ptr := func(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

	for _, n := range []int{0, 1, 7, 8, 31, 64, 4095, 150 << 10} {
		a := make([]byte, n+1)
		r.Read(a)
		b := bytes.Clone(a)

		if got := libc.Xmemcmp(tls, ptr(a), ptr(b), libc.Tsize_t(n)); got != 0 {
			t.Fatalf("memcmp of equal %d bytes = %d", n, got)
		}

		if n == 0 {
			continue
		}

		for _, at := range []int{0, n / 2, n - 1} {
			c := bytes.Clone(a)
			c[at]++ // 255 wraps to 0 and compares as less

			want := bytes.Compare(a[:n], c[:n])
			got := libc.Xmemcmp(tls, ptr(a), ptr(c), libc.Tsize_t(n))

			if got == 0 || (got < 0) != (want < 0) {
				t.Fatalf("memcmp of %d bytes differing at %d = %d, want the sign of %d", n, at, got, want)
			}
		}

		dst := make([]byte, n)
		if libc.Xmemcpy(tls, ptr(dst), ptr(a), libc.Tsize_t(n)) != ptr(dst) || !bytes.Equal(dst, a[:n]) {
			t.Fatalf("memcpy of %d bytes", n)
		}

		// overlapping moves, both directions
		buf := append(bytes.Clone(a), 0, 0, 0)
		want := append(append([]byte{}, buf[:3]...), a...)

		if libc.Xmemmove(tls, ptr(buf)+3, ptr(buf), libc.Tsize_t(len(a))) != ptr(buf)+3 || !bytes.Equal(buf, want) {
			t.Fatalf("memmove forward of %d bytes", len(a))
		}

		libc.Xmemmove(tls, ptr(buf), ptr(buf)+3, libc.Tsize_t(len(a)))

		if !bytes.Equal(buf[:len(a)], a) {
			t.Fatalf("memmove backward of %d bytes", len(a))
		}
	}
}
