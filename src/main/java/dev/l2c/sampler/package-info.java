/**
 * Diffusion samplers as pure arithmetic on flattened float arrays: the discrete noise schedule
 * ({@link dev.l2c.sampler.NoiseSchedule}), its continuous-time view for DPM-Solver
 * ({@link dev.l2c.sampler.ContinuousTimeSchedule}), DDIM ({@link dev.l2c.sampler.Ddim}),
 * DPM-Solver++ of second order ({@link dev.l2c.sampler.DpmSolverPlusPlus}) and classifier-free
 * guidance ({@link dev.l2c.sampler.Guidance}).
 *
 * <p>Nothing here knows about ONNX: the model is a {@link dev.l2c.sampler.NoisePredictor} that maps
 * (evaluation index, x, model time) to the predicted noise ε. A sampler knows its model times before it
 * runs ({@link dev.l2c.sampler.Sampler#modelTimes()}), so per-timestep graphs can be chosen up front.
 *
 * <p>Arrays are samples {@code [batch, C, H, W]} flattened in row-major order. Coefficients are
 * computed in double; each element update is done in double and stored as float32, like the fp32
 * PyTorch references but without their intermediate roundings.
 */
package dev.l2c.sampler;
