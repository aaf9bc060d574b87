/**
 * Build-time tooling that turns a shipped sentence encoder plus a small linear head into a fused,
 * standalone Hugging Face-layout ONNX sequence classifier ({@code model.onnx}, {@code tokenizer.json},
 * {@code config.json}).
 *
 * <p>Nothing in this package is on the runtime path: it depends on the ONNX protobuf classes to splice
 * graphs, and the models it writes are loaded by the runtime modules exactly like any downloaded
 * classifier.
 */
package dev.parapet.export;
