package dev.parapet.train;

/**
 * Per-feature mean and standard deviation of a training matrix. Heads are fitted on standardised
 * features and the transform is folded into the first layer afterwards ({@link #fold}), so the
 * shipped head reads raw features.
 */
final class Standardizer {
    /** Features with less spread than this are left unscaled (constant columns, e.g. padding-only). */
    private static final double MIN_STD = 1e-6;

    final float[] mean;
    final float[] std;

    private Standardizer(float[] mean, float[] std) {
        this.mean = mean;
        this.std = std;
    }

    static Standardizer fit(float[][] x) {
        int d = x[0].length;
        double[] sum = new double[d];
        double[] sq = new double[d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                sum[j] += row[j];
            }
        }
        float[] mean = new float[d];
        for (int j = 0; j < d; j++) {
            mean[j] = (float) (sum[j] / x.length);
        }
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                double c = row[j] - mean[j];
                sq[j] += c * c;
            }
        }
        float[] std = new float[d];
        for (int j = 0; j < d; j++) {
            double s = Math.sqrt(sq[j] / x.length);
            std[j] = (float) (s < MIN_STD ? 1.0 : s);
        }
        return new Standardizer(mean, std);
    }

    float[][] apply(float[][] x) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = apply(x[i]);
        }
        return out;
    }

    float[] apply(float[] row) {
        float[] out = new float[row.length];
        for (int j = 0; j < row.length; j++) {
            out[j] = (row[j] - mean[j]) / std[j];
        }
        return out;
    }

    /**
     * Folds the transform into a first layer {@code W (x - μ)/σ + b}: returns {@code W' = W/σ} and
     * {@code b' = b - W'μ}, row-major {@code [out][in]}.
     */
    Network.Layer fold(Network.Layer layer) {
        int in = layer.in();
        int out = layer.out();
        float[] w = new float[in * out];
        float[] b = new float[out];
        for (int o = 0; o < out; o++) {
            double shift = 0;
            for (int i = 0; i < in; i++) {
                double wi = layer.weight(o, i) / std[i];
                w[o * in + i] = (float) wi;
                shift += wi * mean[i];
            }
            b[o] = (float) (layer.bias()[o] - shift);
        }
        return Network.Layer.rowMajor(in, out, w, b, layer.activation());
    }
}
