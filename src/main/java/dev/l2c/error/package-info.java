/**
 * The errors a user can act on, one class per kind with its exit code ({@link
 * dev.l2c.error.L2cException}: one line naming the file and the problem), and {@link
 * dev.l2c.error.Cancellation}, which turns SIGINT/SIGTERM into an orderly stop.
 */
package dev.l2c.error;
