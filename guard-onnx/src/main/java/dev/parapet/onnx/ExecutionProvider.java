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

    /**
     * {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}, in any case: the spelling of
     * configuration files and command lines, and of {@link #toString()}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static ExecutionProvider parse(String text) {
        if (text == null) {
            throw new NullPointerException("text");
        }
        String v = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("cpu")) {
            return cpu();
        }
        if (v.equals("cuda")) {
            return cuda(0);
        }
        if (v.startsWith("cuda:") && v.length() > 5 && v.substring(5).chars().allMatch(Character::isDigit) && v.length() <= 14) {
            return cuda(Integer.parseInt(v.substring(5)));
        }
        throw new IllegalArgumentException("execution provider must be cpu, cuda or cuda:N (N a device number), got '" + text + "'");
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "CPU" : "CUDA:" + deviceId;
    }
}
