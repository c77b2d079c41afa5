package dev.l2c.ir;

/** One use of a value: {@code node}'s input number {@code inputIndex} reads it. */
public record Use(Node node, int inputIndex) {
}
