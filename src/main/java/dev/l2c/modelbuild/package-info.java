/**
 * Builds architecture-faithful ONNX graphs of the DiT, U-ViT and PixArt-α families at any size with
 * seeded random weights: {@link dev.l2c.modelbuild.ModelBuilder} writes a model folder (graph,
 * external-data weights, model card) from a {@link dev.l2c.modelbuild.DitConfig},
 * {@link dev.l2c.modelbuild.UvitConfig} or {@link dev.l2c.modelbuild.PixArtConfig} (text-conditioned:
 * adaLN-single, ungated cross-attention), whose presets include the demo models' shapes and the
 * published DiT-XL/2, U-ViT-H/2 and PixArt-α-XL/2.
 *
 * <p>The graphs compute what the PyTorch modules of ../shared/tools/demo_models.py compute and are
 * spelled with the operators the TorchScript exporter emits for them (opset 17), so the layer
 * detector, the MAC counter, the compiler and the runtime treat a built model exactly as they treat
 * an export. The weights are random (Xavier-uniform linears, N(0, 0.02²) embeddings and biases, the
 * fixed sin-cos position embedding of DiT) and not trained: built models are for measuring structure,
 * speed and memory at sizes no demo model has, not for sample quality. Weights are streamed to disk
 * in chunks while the graph is assembled, so building needs memory for the graph, not the weights.
 */
package dev.l2c.modelbuild;
