#!/usr/bin/env python3
"""Parses Prometheus exposition text from stdin with prometheus_client's own parser and prints
each sample as JSON: {"family", "type", "name", "labels", "value"}. Used by Max's tests to read
/metrics as Prometheus does, not as Max writes it."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        samples.append({"family": family.name, "type": family.type, "name": sample.name,
                        "labels": sample.labels, "value": sample.value})
print(json.dumps(samples))
