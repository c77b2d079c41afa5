/**
 * File utilities the rest of the tool shares: numpy arrays ({@link dev.l2c.io.Npy}, {@link dev.l2c.io.Npz},
 * {@link dev.l2c.io.NdArray}), the MNIST/Fashion-MNIST IDX format ({@link dev.l2c.io.IdxFile}), sample
 * grids as PNG ({@link dev.l2c.io.ImageGrid}), all-or-nothing writes of files and folders
 * ({@link dev.l2c.io.AtomicOutput}) and a quiet-by-default progress bar ({@link dev.l2c.io.Progress}).
 *
 * <p>Readers report bad input as {@link dev.l2c.error.InvalidInputException} with a one-line message
 * naming the file; writers report unwritable outputs as {@link dev.l2c.error.OutputException}; every
 * write goes through {@link dev.l2c.io.AtomicOutput}, so an interrupted run never leaves a half-written
 * output behind. Wrong argument combinations from our own code (a shape that does not match its data)
 * are IllegalArgumentExceptions.
 */
package dev.l2c.io;
