package dev.parapet.onnx;

/**
 * Every pooling of one text from one encoder pass, un-normalised: heads pick (and normalise) the
 * parts they were trained on, so several heads share one encoder run. For a text longer than the
 * encoder's window, {@code mean} and {@code cls} are averaged over windows and {@code max} is the
 * maximum over windows.
 */
public record PooledEmbedding(float[] mean, float[] cls, float[] max) {

    public float[] get(Pooling pooling) {
        return switch (pooling) {
            case MEAN -> mean;
            case CLS -> cls;
            case MAX -> max;
        };
    }

    public int dimension() {
        return mean.length;
    }
}
