package main

import (
	"bytes"
	"encoding/json"

	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/scheme"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/validation"
)

const emptyConfig = `{"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration"}`

// loadConfig reads a KubeSchedulerConfiguration as kube-scheduler's --config does: strict
// decoding with defaulting into the internal type, then validation. Every feasible node is
// scored (percentageOfNodesToScore 100) unless the configuration says otherwise.
func loadConfig(raw json.RawMessage) (*config.KubeSchedulerConfiguration, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		raw = json.RawMessage(emptyConfig)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, inputErrorf("config: not a KubeSchedulerConfiguration object: %v", err)
	}
	if _, set := fields["percentageOfNodesToScore"]; !set {
		fields["percentageOfNodesToScore"] = json.RawMessage("100")
		raw, _ = json.Marshal(fields)
	}
	obj, gvk, err := scheme.Codecs.UniversalDecoder().Decode(raw, nil, nil)
	if err != nil {
		return nil, inputErrorf("config: %v", err)
	}
	cfg, ok := obj.(*config.KubeSchedulerConfiguration)
	if !ok {
		return nil, inputErrorf("config: kind %s is not a KubeSchedulerConfiguration", gvk)
	}
	cfg.TypeMeta.APIVersion = gvk.GroupVersion().String() // as kube-scheduler's loader keeps it
	if err := validation.ValidateKubeSchedulerConfiguration(cfg); err != nil {
		return nil, inputErrorf("config: %v", err)
	}
	if len(cfg.Extenders) > 0 {
		return nil, inputErrorf("config: field extenders: the oracle runs no HTTP extenders")
	}
	return cfg, nil
}
