package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// notifyCPU is the shop processes' CPU time (user and system, from
// /proc/<pid>/stat) while the notify runs were sending: the cost of a
// notification without the load tool's own share of the cores. A
// PostgreSQL server's CPU is not in it.
var notifyCPU time.Duration

// cpuDuring runs f and adds the shop processes' CPU time meanwhile to notifyCPU.
func (s *shop) cpuDuring(f func() result) result {
	before := s.procCPU()
	r := f()
	notifyCPU += s.procCPU() - before
	return r
}

func (s *shop) procCPU() time.Duration {
	var d time.Duration
	for _, a := range s.apps {
		d += procCPU(a.Pid())
	}
	return d
}

// procCPU is utime+stime of pid; 0 when /proc cannot say. Linux counts
// them in USER_HZ ticks, 100 a second on every common build.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 || i+2 > len(b) {
		return 0
	}
	f := strings.Fields(string(b[i+2:])) // from field 3, the state
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * (time.Second / 100)
}

// cpuNote is the notify row's CPU per notification, or "".
func cpuNote(n int) string {
	if notifyCPU == 0 || n == 0 {
		return ""
	}
	return fmt.Sprintf("; shop CPU %.0f µs/notification (user+system, ≤ 150 µs wanted)", float64(notifyCPU.Microseconds())/float64(n))
}
