/**
 * The compiler: from a model and a schedule to a package. {@link dev.l2c.compiler.CachePlan} works out the
 * cache data flow, {@link dev.l2c.compiler.CacheStepGraph} runs the pass pipeline for each distinct step,
 * {@link dev.l2c.compiler.LinkedModelGraph} links all steps and the sampler into one model, and {@link
 * dev.l2c.compiler.ScheduleCompiler} writes the files with one shared weights file.
 */
package dev.l2c.compiler;
