package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestKuraGCSettings runs this test binary again in child processes, because the Go runtime
// reads GOGC and GOMEMLIMIT from the environment once, at start-up.
func TestKuraGCSettings(t *testing.T) {
	if os.Getenv("KURA_GC_CHILD") == "1" {
		gcPercent, limit := tuneGC()
		os.Stdout.WriteString("gc " + strconv.Itoa(gcPercent) + " " + strconv.FormatInt(limit, 10) + "\n")

		return
	}

	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"defaults", nil, "gc 400 536870912"},
		{"operator's GOGC kept", []string{"GOGC=150"}, "gc 150 536870912"},
		{"operator's GOMEMLIMIT kept", []string{"GOMEMLIMIT=1GiB"}, "gc 400 1073741824"},
		{"collector off kept", []string{"GOGC=off", "GOMEMLIMIT=2GiB"}, "gc -1 2147483648"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKuraGCSettings$")
			cmd.Env = append(withoutGCVars(os.Environ()), append([]string{"KURA_GC_CHILD=1"}, c.env...)...)

			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v", err)
			}

			var got string

			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, "gc ") {
					got = line
				}
			}

			if got != c.want {
				t.Fatalf("GC settings %q, want %q (output %q)", got, c.want, out)
			}
		})
	}
}

func withoutGCVars(env []string) []string {
	var res []string

	for _, e := range env {
		if !strings.HasPrefix(e, "GOGC=") && !strings.HasPrefix(e, "GOMEMLIMIT=") {
			res = append(res, e)
		}
	}

	return res
}
