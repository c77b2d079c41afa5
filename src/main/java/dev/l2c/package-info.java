/**
 * l2c: ahead-of-time layer caching for diffusion transformers. {@link dev.l2c.ToolVersion} names this
 * build; the rest lives in the packages below, the command line in {@code dev.l2c.cli}.
 */
package dev.l2c;
