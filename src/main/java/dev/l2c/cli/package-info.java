/**
 * The {@code l2c} command line (picocli): one class per command, shared option groups, and {@link
 * dev.l2c.cli.Main}, which maps every error to its one line and exit code.
 */
package dev.l2c.cli;
