/**
 * Reading and writing ONNX protobuf to and from the IR; the only place that touches the generated
 * protobuf classes.
 */
package dev.l2c.ir.serde;
