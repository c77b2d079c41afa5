/**
 * What l2c knows about a user's model besides its graph: the model card (image geometry, timestep and
 * label inputs, noise schedule, sampler defaults), the optional layer-map file, and {@link
 * dev.l2c.modelcard.LoadedModel}, which ties them to the ONNX graph and its detected layers.
 */
package dev.l2c.modelcard;
