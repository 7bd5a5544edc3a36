// Command validate checks CDI spec files with the reference CDI library
// (github.com/container-orchestrated-devices/container-device-interface,
// Debian's golang-github-container-orchestrated-devices-container-device-interface-dev)
// and prints every device's qualified name, one per line:
//
//	<file>: <vendor>/<class>=<name>
//
// Each file is read with cdi.ReadSpec (strict YAML/JSON parsing plus the
// library's own validation of version, kind, device names and edits) under
// the builtin JSON schema. The files are then loaded together into a
// cdi.Cache over their directories, as a runtime does, so two files that
// define the same qualified name are reported too. Exit status: 0 when every
// file is valid, 1 on any error, 2 on usage errors.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/container-orchestrated-devices/container-device-interface/pkg/cdi"
	"github.com/container-orchestrated-devices/container-device-interface/pkg/cdi/validate"
	"github.com/container-orchestrated-devices/container-device-interface/schema"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: validate SPEC_FILE...")
		os.Exit(2)
	}
	cdi.SetSpecValidator(validate.WithSchema(schema.BuiltinSchema()))

	failed := false
	dirs := map[string]bool{}
	for _, path := range os.Args[1:] {
		if !checkFile(path) {
			failed = true
		}
		dirs[filepath.Dir(path)] = true
	}
	if !checkCache(dirs) {
		failed = true
	}
	if failed {
		os.Exit(1)
	}
}

// checkFile parses and validates one spec and prints its qualified names.
func checkFile(path string) bool {
	spec, err := cdi.ReadSpec(path, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		return false
	}
	if len(spec.Devices) == 0 {
		fmt.Fprintf(os.Stderr, "%s: spec of kind %q has no devices\n", path, spec.Kind)
		return false
	}
	for _, d := range spec.Devices {
		dev := spec.GetDevice(d.Name)
		if dev == nil {
			fmt.Fprintf(os.Stderr, "%s: device %q not indexed\n", path, d.Name)
			return false
		}
		fmt.Printf("%s: %s\n", path, dev.GetQualifiedName())
	}
	return true
}

// checkCache loads the directories as one registry would and reports
// conflicts (a qualified name defined twice) and any other refresh error.
func checkCache(dirs map[string]bool) bool {
	var list []string
	for d := range dirs {
		list = append(list, d)
	}
	sort.Strings(list)
	cache, err := cdi.NewCache(cdi.WithSpecDirs(list...), cdi.WithAutoRefresh(false))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cdi cache: %v\n", err)
		return false
	}
	seen := map[string]bool{}
	var lines []string
	for path, errs := range cache.GetErrors() {
		for _, e := range errs {
			line := fmt.Sprintf("%s: %v", path, e)
			if !seen[line] {
				seen[line] = true
				lines = append(lines, line)
			}
		}
	}
	sort.Strings(lines)
	for _, line := range lines {
		fmt.Fprintln(os.Stderr, line)
	}
	return len(lines) == 0
}
