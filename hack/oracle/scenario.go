package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// scenario is the differential test's input: Kubernetes objects and an optional
// KubeSchedulerConfiguration (the contract in README.md).
type scenario struct {
	Objects []json.RawMessage `json:"objects"`
	Config  json.RawMessage   `json:"config"`
	// Preemption runs DefaultPreemption's PostFilter for pods that fit nowhere (preemption.go).
	Preemption bool `json:"preemption"`
}

// inputError is a malformed scenario: one line on stderr, exit 2.
type inputError struct{ msg string }

func (e inputError) Error() string { return e.msg }

func inputErrorf(format string, args ...any) error {
	return inputError{fmt.Sprintf(format, args...)}
}

func readScenario(path string) (*scenario, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, inputErrorf("%s: %v", path, err)
	}
	var s scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, inputErrorf("%s: not a scenario (JSON object with \"objects\" and \"config\"): %v", path, err)
	}
	if s.Objects == nil {
		return nil, inputErrorf("%s: field objects: a list of Kubernetes objects is required", path)
	}
	return &s, nil
}

// typeMeta is what names an object in messages before it is decoded.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"metadata"`
}
