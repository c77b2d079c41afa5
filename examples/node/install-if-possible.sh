#!/usr/bin/env bash
# Installs examples/node's node_modules (onnxruntime-node) when npm is there, so that `mvn -B test` on a
# fresh clone runs NodeExamplesTest instead of skipping it. Run by Maven (profile node-examples, active
# while node_modules is missing). Never fails the build: without npm, or offline, the test skips and
# says why. onnxruntime-node's postinstall script would download binaries it already ships: skipped.
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "examples/node: npm is not installed; NodeExamplesTest will skip (apt-get install nodejs npm)"
  exit 0
fi
echo "examples/node: installing onnxruntime-node (npm ci) for NodeExamplesTest ..."
if ! ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error; then
  echo "examples/node: npm ci failed (offline?); NodeExamplesTest will skip"
fi
exit 0
