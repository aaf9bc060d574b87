package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;

import java.util.ArrayList;
import java.util.List;

/**
 * A stack of dense layers ending in one unit, as trained: weights are held transposed
 * ({@code [in][out]}) so that the forward and backward passes are {@code y += a·x} loops.
 */
final class Network {

    /** One dense layer, weights transposed {@code wt[i * out + o]}. */
    record Layer(int in, int out, float[] wt, float[] bias, EmbeddingHead.Activation activation) {
        static Layer rowMajor(int in, int out, float[] w, float[] bias, EmbeddingHead.Activation activation) {
            float[] wt = new float[in * out];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    wt[i * out + o] = w[o * in + i];
                }
            }
            return new Layer(in, out, wt, bias, activation);
        }

        float weight(int o, int i) {
            return wt[i * out + o];
        }

        EmbeddingHead.Dense toDense() {
            float[] w = new float[in * out];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    w[o * in + i] = wt[i * out + o];
                }
            }
            return new EmbeddingHead.Dense(in, out, w, bias.clone(), activation);
        }

        Layer copy() {
            return new Layer(in, out, wt.clone(), bias.clone(), activation);
        }

        /** {@code act(W x + b)} into {@code y}; returns {@code y}. */
        float[] forward(float[] x, float[] y) {
            System.arraycopy(bias, 0, y, 0, out);
            if (out == 1) {
                y[0] += (float) Numeric.dot(wt, 0, x, 0, in);
            } else {
                for (int i = 0; i < in; i++) {
                    float xi = x[i];
                    if (xi != 0f) {
                        Numeric.axpy(xi, wt, i * out, y, 0, out);
                    }
                }
            }
            activate(y, activation);
            return y;
        }
    }

    final List<Layer> layers;

    Network(List<Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    int inputSize() {
        return layers.get(0).in();
    }

    Network copy() {
        List<Layer> c = new ArrayList<>();
        for (Layer l : layers) {
            c.add(l.copy());
        }
        return new Network(c);
    }

    double score(float[] x) {
        float[] a = x;
        for (Layer l : layers) {
            a = l.forward(a, new float[l.out()]);
        }
        return a[0];
    }

    double[] scores(float[][] x, int threads) {
        double[] out = new double[x.length];
        Numeric.split(x.length, threads, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = score(x[i]);
            }
            return null;
        });
        return out;
    }

    /**
     * One network whose output is the mean of the outputs of {@code members}, each a one-hidden-layer
     * net on the same input: the hidden layers side by side, the output weights divided by their number.
     */
    static Network average(List<Network> members) {
        int k = members.size();
        if (k == 1) {
            return members.get(0);
        }
        Layer h0 = members.get(0).layers.get(0);
        int in = h0.in();
        int hidden = 0;
        for (Network n : members) {
            if (n.layers.size() != 2 || n.layers.get(0).in() != in || n.layers.get(1).out() != 1) {
                throw new IllegalArgumentException("average needs one-hidden-layer networks with one output on one input");
            }
            hidden += n.layers.get(0).out();
        }
        float[] wt = new float[in * hidden];
        float[] b = new float[hidden];
        float[] wo = new float[hidden];
        float bo = 0f;
        int off = 0;
        for (Network n : members) {
            Layer h = n.layers.get(0);
            Layer o = n.layers.get(1);
            for (int i = 0; i < in; i++) {
                System.arraycopy(h.wt(), i * h.out(), wt, i * hidden + off, h.out());
            }
            System.arraycopy(h.bias(), 0, b, off, h.out());
            for (int j = 0; j < h.out(); j++) {
                wo[off + j] = o.wt()[j] / k;
            }
            bo += o.bias()[0] / k;
            off += h.out();
        }
        return new Network(List.of(new Layer(in, hidden, wt, b, h0.activation()),
                new Layer(hidden, 1, wo, new float[] {bo}, members.get(0).layers.get(1).activation())));
    }

    /** The layers as the head format stores them; {@code standardizer} (may be null) folded into the first. */
    List<EmbeddingHead.Dense> toDense(Standardizer standardizer) {
        List<EmbeddingHead.Dense> out = new ArrayList<>();
        for (int k = 0; k < layers.size(); k++) {
            Layer l = layers.get(k);
            out.add((k == 0 && standardizer != null ? standardizer.fold(l) : l).toDense());
        }
        return out;
    }

    static void activate(float[] y, EmbeddingHead.Activation activation) {
        switch (activation) {
            case NONE -> {
            }
            case RELU -> {
                for (int i = 0; i < y.length; i++) {
                    if (y[i] < 0f) {
                        y[i] = 0f;
                    }
                }
            }
            case TANH -> {
                for (int i = 0; i < y.length; i++) {
                    y[i] = (float) Math.tanh(y[i]);
                }
            }
        }
    }
}
