// Command kubesched-oracle decides a scenario's pending pods with kube-scheduler's own
// scheduling framework, in memory, and prints every verdict, score and message as JSON.
// It is the reference the differential test compares kubesched with (see README.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

const usage = `usage: kubesched-oracle [--repeat N] [--bench] SCENARIO.json|-

Decides the scenario's pending pods with kube-scheduler v1.37's framework and prints
{"rejected": [...], "pods": [...]} on stdout.
  --repeat N  decide the pending pods N times over (the placements are undone in between)
  --bench     print {"pods", "repeat", "seconds", "pods_per_second"} for the decisions
              alone instead of the verdicts
`

type output struct {
	Rejected []rejection   `json:"rejected"`
	Pods     []podDecision `json:"pods"`
}

type benchmark struct {
	Pods          int     `json:"pods"`
	Repeat        int     `json:"repeat"`
	Seconds       float64 `json:"seconds"`
	PodsPerSecond float64 `json:"pods_per_second"`
}

func main() {
	flags := flag.NewFlagSet("kubesched-oracle", flag.ContinueOnError)
	flags.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	repeat := flags.Int("repeat", 1, "")
	bench := flags.Bool("bench", false, "")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() != 1 || *repeat < 1 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	// kube-scheduler's packages log through klog; the output is the JSON alone.
	klog.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logr.Discard()))
	defer cancel()

	result, err := run(ctx, flags.Arg(0), *repeat, *bench)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubesched-oracle: %v\n", err)
		if errors.As(err, new(inputError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(result); err != nil {
		fmt.Fprintf(os.Stderr, "kubesched-oracle: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path string, repeat int, bench bool) (any, error) {
	s, err := readScenario(path)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(s.Config)
	if err != nil {
		return nil, err
	}
	c, err := createObjects(ctx, s.Objects)
	if err != nil {
		return nil, err
	}
	sched, err := newInMemoryScheduler(ctx, cfg, c.objects)
	if err != nil {
		return nil, err
	}
	if s.Preemption {
		if err := sched.enablePreemption(ctx, cfg); err != nil {
			return nil, err
		}
	}
	out := output{Rejected: c.rejected, Pods: []podDecision{}}
	if out.Rejected == nil {
		out.Rejected = []rejection{}
	}
	var deciding time.Duration
	for round := 0; round < repeat; round++ {
		if round > 0 {
			if err := sched.forgetAssumed(ctx); err != nil {
				return nil, err
			}
		}
		out.Pods = out.Pods[:0]
		started := time.Now()
		for _, pod := range c.pending {
			decision, err := sched.decide(ctx, c.nodes, pod)
			if err != nil {
				return nil, err
			}
			out.Pods = append(out.Pods, decision)
		}
		deciding += time.Since(started)
	}
	elapsed := deciding.Seconds()
	if bench {
		decisions := len(c.pending) * repeat
		return benchmark{Pods: len(c.pending), Repeat: repeat, Seconds: elapsed,
			PodsPerSecond: float64(decisions) / elapsed}, nil
	}
	return out, nil
}

func loggerFrom(ctx context.Context) klog.Logger { return klog.FromContext(ctx) }
