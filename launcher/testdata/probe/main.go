// Command probe runs inside a container with a root filesystem of its own
// (launcher's TestLinuxRootfs) and reports what it sees. It is built
// static, so that it runs alone in that root.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	fmt.Printf("pid=%d\n", os.Getpid())
	ents, _ := os.ReadDir("/")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Printf("root=%s\n", strings.Join(names, ","))
	fmt.Printf("sandbox=%s\n", os.Getenv("MESOS_SANDBOX"))
	wd, _ := os.Getwd()
	fmt.Printf("cwd=%s\n", wd)
	if err := os.WriteFile(filepath.Join(os.Getenv("MESOS_SANDBOX"), "from-inside"), []byte("hi"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
