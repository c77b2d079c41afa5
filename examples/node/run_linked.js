// Runs a linked l2c package (one ONNX model of the whole sampling run) with onnxruntime-node.
// Usage: node run_linked.js PKG NOISE.npy CONDITION SCALE OUT.npy
//   CONDITION, class-conditional package: comma-separated class labels, one per image of the noise;
//   text-conditioned package (manifest linked_model.inputs.conditions): TEXT.npy,MASK.npy[,NEG_TEXT.npy,NEG_MASK.npy],
//   float32 [n, tokens, width] embeddings from your text encoder and [n, tokens] masks (1 real token, 0 padding);
//   the negative pair is the unconditional half of guidance (required when SCALE != 1). SCALE: guidance scale.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy } = require('./npy');

async function main([pkg, noiseFile, labelList, scaleText, outFile]) {
  if (!outFile) throw new Error('usage: node run_linked.js PKG NOISE.npy LABELS|TEXT.npy,MASK.npy[,NEG_TEXT.npy,NEG_MASK.npy] SCALE OUT.npy');
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'manifest.json'), 'utf8'));
  if (manifest.kind !== 'linked') throw new Error(`${pkg}: not a linked package (kind ${manifest.kind})`);
  const linked = manifest.linked_model;
  const noise = readNpy(noiseFile);
  const feeds = { [linked.inputs.noise]: new ort.Tensor('float32', noise.data, noise.shape) };
  if (linked.inputs.conditions) {
    // text: the linked model's condition inputs are the step graphs' (embeddings, mask), then their unconditional twins
    const files = labelList.split(',');
    const names = linked.inputs.conditions.concat(linked.inputs.unconditional);
    if (files.length !== names.length) {
      throw new Error(`${pkg} takes ${names.join(', ')}: give ${names.length} comma-separated .npy files, not ${files.length}`);
    }
    names.forEach((name, i) => {
      const a = readNpy(files[i]);
      if (a.shape[0] !== noise.shape[0]) throw new Error(`${files[i]}: ${a.shape[0]} rows for ${noise.shape[0]} images`);
      feeds[name] = new ort.Tensor('float32', a.data, a.shape);
    });
  } else {
    const labels = labelList.split(',').map((s) => BigInt(s.trim()));
    if (labels.length !== noise.shape[0]) throw new Error(`${labels.length} labels for ${noise.shape[0]} images`);
    const labelType = manifest.model.inputs.label.dtype; // the linked model's labels have the step graphs' label type
    feeds[linked.inputs.labels] = labelType === 'int64'
      ? new ort.Tensor('int64', BigInt64Array.from(labels), [labels.length])
      : new ort.Tensor('int32', Int32Array.from(labels.map(Number)), [labels.length]);
  }
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
