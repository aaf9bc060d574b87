package dev.parapet.onnx;

/**
 * Where ONNX Runtime runs a model. {@link #cpu()} always works; {@link #cuda(int)} needs the
 * {@code onnxruntime_gpu} artifact (Maven profile {@code -Pgpu}) and a CUDA device, and otherwise
 * falls back to CPU with one WARN line unless {@link RuntimeOptions.Builder#strictProvider(boolean)}
 * was asked for. The provider actually used is reported by {@code provider()} of the classifier or encoder and in
 * every scan result's {@code provider} attribute.
 *
 * <p>Measured on an H100 (docs/gpu.md): CUDA paid off for a float32 encoder (2 to 4 times faster,
 * within 1.2e-6 of the CPU). For int8 models such as the default encoder, it does not:
 * their quantized matrix products have no CUDA kernel and stay on the CPU, and their scores differ
 * from the CPU's by up to about 0.1.
 */
public record ExecutionProvider(Kind kind, int deviceId) {

    public enum Kind { CPU, CUDA }

    public ExecutionProvider {
        if (kind == null) {
            throw new NullPointerException("kind");
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("CUDA device id must be >= 0, got " + deviceId);
        }
    }

    public static ExecutionProvider cpu() {
        return new ExecutionProvider(Kind.CPU, 0);
    }

    public static ExecutionProvider cuda(int deviceId) {
        return new ExecutionProvider(Kind.CUDA, deviceId);
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "CPU" : "CUDA:" + deviceId;
    }
}
