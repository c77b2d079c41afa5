// Runs a stepwise l2c package with onnxruntime-node, from its manifest.json alone: the step graphs,
// the cache tensors passed between them, classifier-free guidance and the sampler's update are all
// described there (graph-compiler/README.md, "Writing your own runner"). No sampler is named here:
// the per-step coefficients in the manifest are the sampler.
// Usage: node run_stepwise.js PKG NOISE.npy CONDITION SCALE OUT.npy
//   CONDITION: comma-separated class labels, or for a text-conditioned package (model.inputs.conditions)
//   TEXT.npy,MASK.npy[,NEG_TEXT.npy,NEG_MASK.npy] as for run_linked.js
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy } = require('./npy');

function intTensor(dtype, values) {
  if (dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  if (dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(values), [values.length]);
  if (dtype === 'float32') return new ort.Tensor('float32', Float32Array.from(values), [values.length]);
  throw new Error(`unsupported input type ${dtype}`);
}

async function main([pkg, noiseFile, labelList, scaleText, outFile]) {
  if (!outFile) throw new Error('usage: node run_stepwise.js PKG NOISE.npy LABELS SCALE OUT.npy');
  const m = JSON.parse(fs.readFileSync(path.join(pkg, 'manifest.json'), 'utf8'));
  if (m.kind !== 'stepwise') throw new Error(`${pkg}: not a stepwise package (kind ${m.kind})`);
  const noise = readNpy(noiseFile);
  const [n, ...sampleDims] = noise.shape;
  const per = sampleDims.reduce((a, b) => a * b, 1);
  const scale = Number(scaleText);
  const guided = scale !== 1; // guidance.layout: [z; z] with conditions [c; unconditional], conditional half first
  const batch = guided ? 2 * n : n;
  const { sample, timestep, label, conditions } = m.model.inputs;
  const conditionFeeds = {}; // the same at every step
  if (conditions) {
    // text: each condition input is [c; u]: the embeddings (and mask) of the prompts, then the unconditional ones
    const files = labelList.split(',');
    if (files.length !== conditions.length * (guided ? 2 : 1)) {
      throw new Error(`give ${conditions.length * (guided ? 2 : 1)} comma-separated .npy files, not ${files.length}`);
    }
    conditions.forEach((c, i) => {
      const a = readNpy(files[i]);
      const u = guided ? readNpy(files[conditions.length + i]) : null;
      const data = new Float32Array(a.data.length * (guided ? 2 : 1));
      data.set(a.data);
      if (guided) data.set(u.data, a.data.length);
      conditionFeeds[c.name] = new ort.Tensor(c.dtype, data, [batch, ...a.shape.slice(1)]);
    });
  } else {
    const labels = labelList.split(',').map(Number);
    if (labels.length !== n) throw new Error(`${labels.length} labels for ${n} images`);
    const modelLabels = guided ? labels.concat(Array(n).fill(m.guidance.null_label)) : labels;
    conditionFeeds[label.name] = intTensor(label.dtype, modelLabels);
  }
  const outName = m.model.output.name;
  // each model output row holds output.channels channels; the first noise_channels are epsilon
  const outRow = m.model.output.channels * (per / m.model.output.noise_channels);
  const clip = m.sampler.clip_x0;

  const sessions = {};
  for (const g of m.graphs) sessions[g.file] = await ort.InferenceSession.create(path.join(pkg, g.file));

  const inputs = [noise.data]; // z[k]: the model input of step k; z[0] is the initial noise
  const x0 = [];
  const caches = new Map(); // "layer@step" -> tensor, from the step that wrote it until free_after
  for (const step of m.steps) {
    const z = inputs[step.step];
    const x = new Float32Array(batch * per);
    x.set(z);
    if (guided) x.set(z, n * per);
    const feeds = {
      [sample.name]: new ort.Tensor('float32', x, [batch, ...sampleDims]),
      [timestep.name]: intTensor(timestep.dtype, Array(batch).fill(step.timestep)),
      ...conditionFeeds,
    };
    for (const c of step.cache_inputs) feeds[c.name] = caches.get(`${c.layer}@${c.from_step}`);
    const fetches = [outName, ...step.cache_outputs.map((c) => c.name)];
    const result = await sessions[step.graph].run(feeds, fetches);
    for (const c of step.cache_outputs) caches.set(`${c.layer}@${step.step}`, result[c.name]);
    for (const f of step.free_after) {
      const key = `${f.layer}@${f.from_step}`;
      const t = caches.get(key);
      if (t && typeof t.dispose === 'function') t.dispose();
      caches.delete(key);
    }

    // guidance.formula: eps = eps_u + scale * (eps_c - eps_u), in float32
    const out = result[outName].data;
    const f = Math.fround;
    const pred = new Float64Array(n * per);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < per; j++) {
        const ec = out[b * outRow + j];
        const eps = guided ? f(out[(n + b) * outRow + j] + f(f(scale) * f(ec - out[(n + b) * outRow + j]))) : ec;
        // sampler.data_prediction: x0 = clip((z - sigma * eps) / alpha)
        let v = (z[b * per + j] - step.sigma * eps) / step.alpha;
        if (clip !== null) v = Math.min(clip[1], Math.max(clip[0], v));
        pred[b * per + j] = v;
      }
    }
    x0[step.step] = pred;
    // sampler.update: z[k+1] = sum of coefficient * (z[j] or x0[j])
    const next = new Float32Array(n * per);
    for (let i = 0; i < next.length; i++) {
      let s = 0;
      for (const t of step.next_input) s += t.coefficient * (t.from === 'input' ? inputs[t.step][i] : x0[t.step][i]);
      next[i] = s;
    }
    inputs[step.step + 1] = next;
  }
  if (caches.size !== 0) throw new Error(`${caches.size} cache tensors were never freed: the manifest is inconsistent`);
  writeNpy(outFile, inputs[m.steps.length], noise.shape);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`run_stepwise: ${e.message}`);
  process.exit(1);
});
