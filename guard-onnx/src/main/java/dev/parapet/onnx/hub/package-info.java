/**
 * Loading models from the Hugging Face hub into the cache layout that Python's
 * {@code huggingface_hub} uses, so that a cache filled by {@code huggingface-cli download} is reused
 * as it is, and a cache filled here is read by Python as it is.
 *
 * <p>The public surface is {@link dev.parapet.onnx.hub.HubModelSource} (what to fetch),
 * {@link dev.parapet.onnx.hub.HubOptions} (where from, where to, with which token, online or not),
 * {@link dev.parapet.onnx.hub.HubFiles} (what was fetched) and
 * {@link dev.parapet.onnx.hub.HubException} (why it failed). Everything else is package-private.
 *
 * <p>This is the only place in the runtime modules that opens a network connection, and only when
 * the application calls {@code resolve()} or {@code fetch()}. Nothing here runs at scan time.
 */
package dev.parapet.onnx.hub;
