// Runs a linked l2c package (one ONNX model of the whole sampling run) with onnxruntime-node.
// Usage: node run_linked.js PKG NOISE.npy LABELS SCALE OUT.npy
//   LABELS: comma-separated class labels, one per image of the noise; SCALE: guidance scale.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy } = require('./npy');

async function main([pkg, noiseFile, labelList, scaleText, outFile]) {
  if (!outFile) throw new Error('usage: node run_linked.js PKG NOISE.npy LABELS SCALE OUT.npy');
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'manifest.json'), 'utf8'));
  if (manifest.kind !== 'linked') throw new Error(`${pkg}: not a linked package (kind ${manifest.kind})`);
  const linked = manifest.linked_model;
  const noise = readNpy(noiseFile);
  const labels = labelList.split(',').map((s) => BigInt(s.trim()));
  if (labels.length !== noise.shape[0]) throw new Error(`${labels.length} labels for ${noise.shape[0]} images`);
  const labelType = manifest.model.inputs.label.dtype; // the linked model's labels have the step graphs' label type
  const feeds = {
    [linked.inputs.noise]: new ort.Tensor('float32', noise.data, noise.shape),
    [linked.inputs.labels]: labelType === 'int64'
      ? new ort.Tensor('int64', BigInt64Array.from(labels), [labels.length])
      : new ort.Tensor('int32', Int32Array.from(labels.map(Number)), [labels.length]),
  };
  const scale = Number(scaleText);
  if (linked.inputs.guidance_scale !== null) {
    feeds[linked.inputs.guidance_scale] = new ort.Tensor('float32', Float32Array.of(scale), []);
  } else if (scale !== 1) {
    throw new Error(`${pkg} was linked without guidance: it samples with scale 1 only`);
  }
  const session = await ort.InferenceSession.create(path.join(pkg, linked.file));
  const result = await session.run(feeds);
  const samples = result[linked.output];
  writeNpy(outFile, samples.data, samples.dims);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`run_linked: ${e.message}`);
  process.exit(1);
});
