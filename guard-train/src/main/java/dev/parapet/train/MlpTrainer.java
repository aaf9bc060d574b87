package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a small MLP ({@code hidden} units, one hidden layer, then one output unit) with AdamW on
 * mini-batches, either on labelled rows (weighted logistic loss) or on (chosen, rejected) row pairs
 * (pairwise logistic loss {@code -log σ(f(chosen) - f(rejected))}). Early stopping keeps the
 * parameters with the lowest validation loss.
 *
 * <p>Deterministic for a seed: initialisation and epoch order come from a {@link SplittableRandom},
 * and each mini-batch is split into {@code threads} fixed contiguous parts whose gradients are
 * summed in part order.
 */
final class MlpTrainer {

    /**
     * @param hidden       hidden units; 0 for a linear model
     * @param weightDecay  decoupled (AdamW) weight decay on weights, not biases
     */
    record Settings(int hidden, EmbeddingHead.Activation activation, double weightDecay, double learningRate, int batchSize,
                    int maxEpochs, int patience, long seed, int threads) {
        Settings withSeed(long s) {
            return new Settings(hidden, activation, weightDecay, learningRate, batchSize, maxEpochs, patience, s, threads);
        }

        @Override
        public String toString() {
            return (hidden == 0 ? "linear" : "mlp" + hidden + "-" + activation.name().toLowerCase(java.util.Locale.ROOT))
                    + " wd=" + weightDecay + " lr=" + learningRate;
        }
    }

    /** Training examples: rows, and per example the rows it reads and how its loss depends on their outputs. */
    private interface Task {
        int size();

        /** Loss of example {@code e} given its rows' outputs; writes d(loss)/d(output) into {@code dz}. */
        double loss(int e, double[] z, double[] dz);

        int rows(int e);

        float[] row(int e, int k);
    }

    private MlpTrainer() {
    }

    static Network fitBinary(float[][] x, int[] y, double[] c, float[][] xVal, int[] yVal, double[] cVal, Settings s) {
        return fit(binary(x, y, c), binary(xVal, yVal, cVal), x[0].length, s);
    }

    static Network fitPairwise(float[][] chosen, float[][] rejected, double[] c, float[][] chosenVal, float[][] rejectedVal, Settings s) {
        return fit(pairwise(chosen, rejected, c), pairwise(chosenVal, rejectedVal, null), chosen[0].length, s);
    }

    private static Task binary(float[][] x, int[] y, double[] c) {
        return new Task() {
            public int size() {
                return x.length;
            }

            public double loss(int e, double[] z, double[] dz) {
                double w = c == null ? 1.0 : c[e];
                dz[0] = w * (Numeric.sigmoid(z[0]) - y[e]);
                return w * (Numeric.softplus(z[0]) - y[e] * z[0]);
            }

            public int rows(int e) {
                return 1;
            }

            public float[] row(int e, int k) {
                return x[e];
            }
        };
    }

    private static Task pairwise(float[][] chosen, float[][] rejected, double[] c) {
        return new Task() {
            public int size() {
                return chosen.length;
            }

            public double loss(int e, double[] z, double[] dz) {
                double w = c == null ? 1.0 : c[e];
                double margin = z[0] - z[1];
                double g = w * Numeric.sigmoid(-margin);
                dz[0] = -g;
                dz[1] = g;
                return w * Numeric.softplus(-margin);
            }

            public int rows(int e) {
                return 2;
            }

            public float[] row(int e, int k) {
                return k == 0 ? chosen[e] : rejected[e];
            }
        };
    }

    private static Network init(int d, Settings s, SplittableRandom rnd) {
        List<Network.Layer> layers = new ArrayList<>();
        int in = d;
        if (s.hidden() > 0) {
            // He/Glorot-uniform bounds, so activations start with unit-ish variance on standardised inputs
            double bound = s.activation() == EmbeddingHead.Activation.RELU ? Math.sqrt(6.0 / d) : Math.sqrt(6.0 / (d + s.hidden()));
            float[] wt = new float[d * s.hidden()];
            for (int i = 0; i < wt.length; i++) {
                wt[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            layers.add(new Network.Layer(d, s.hidden(), wt, new float[s.hidden()], s.activation()));
            in = s.hidden();
        }
        float[] wt = new float[in];
        double bound = Math.sqrt(1.0 / in);
        for (int i = 0; i < in; i++) {
            wt[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        layers.add(new Network.Layer(in, 1, wt, new float[1], EmbeddingHead.Activation.NONE));
        return new Network(layers);
    }

    private static Network fit(Task train, Task val, int d, Settings s) {
        SplittableRandom rnd = new SplittableRandom(s.seed());
        Network net = init(d, s, rnd);
        int nl = net.layers.size();
        float[][] m = new float[nl * 2][];
        float[][] v = new float[nl * 2][];
        for (int l = 0; l < nl; l++) {
            Network.Layer layer = net.layers.get(l);
            m[2 * l] = new float[layer.wt().length];
            v[2 * l] = new float[layer.wt().length];
            m[2 * l + 1] = new float[layer.bias().length];
            v[2 * l + 1] = new float[layer.bias().length];
        }
        // small sets get smaller batches, so that they too see enough optimiser steps per epoch
        int batch = Math.min(s.batchSize(), Math.max(16, train.size() / 100));
        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Network best = net.copy();
        double bestLoss = validationLoss(net, val, s.threads());
        int bad = 0;
        long step = 0;
        for (int epoch = 0; epoch < s.maxEpochs(); epoch++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int from = 0; from < order.length; from += batch) {
                int to = Math.min(order.length, from + batch);
                float[][] grad = gradient(net, train, order, from, to, s.threads());
                step++;
                adam(net, grad, m, v, step, s);
            }
            double loss = validationLoss(net, val, s.threads());
            if (loss < bestLoss - 1e-5) {
                bestLoss = loss;
                best = net.copy();
                bad = 0;
            } else if (++bad >= s.patience()) {
                break;
            }
        }
        return best;
    }

    private static double validationLoss(Network net, Task val, int threads) {
        List<Double> parts = Numeric.split(val.size(), threads, (from, to) -> {
            double loss = 0;
            double[] z = new double[2];
            double[] dz = new double[2];
            for (int e = from; e < to; e++) {
                for (int k = 0; k < val.rows(e); k++) {
                    z[k] = net.score(val.row(e, k));
                }
                loss += val.loss(e, z, dz);
            }
            return loss;
        });
        double sum = 0;
        for (double p : parts) {
            sum += p;
        }
        return sum / Math.max(1, val.size());
    }

    /** Mean gradient of the batch {@code order[from, to)}, one array per parameter tensor (w0, b0, w1, b1, ...). */
    private static float[][] gradient(Network net, Task task, int[] order, int from, int to, int threads) {
        int nl = net.layers.size();
        List<float[][]> parts = Numeric.split(to - from, threads, (a, b) -> {
            float[][] g = new float[nl * 2][];
            for (int l = 0; l < nl; l++) {
                g[2 * l] = new float[net.layers.get(l).wt().length];
                g[2 * l + 1] = new float[net.layers.get(l).out()];
            }
            float[][][] acts = new float[2][nl][];
            for (int k = 0; k < 2; k++) {
                for (int l = 0; l < nl; l++) {
                    acts[k][l] = new float[net.layers.get(l).out()];
                }
            }
            double[] z = new double[2];
            double[] dz = new double[2];
            for (int idx = from + a; idx < from + b; idx++) {
                int e = order[idx];
                int rows = task.rows(e);
                for (int k = 0; k < rows; k++) {
                    float[] in = task.row(e, k);
                    for (int l = 0; l < nl; l++) {
                        in = net.layers.get(l).forward(in, acts[k][l]);
                    }
                    z[k] = in[0];
                }
                task.loss(e, z, dz);
                for (int k = 0; k < rows; k++) {
                    backward(net, task.row(e, k), acts[k], (float) dz[k], g);
                }
            }
            return g;
        });
        float[][] total = parts.get(0);
        for (int p = 1; p < parts.size(); p++) {
            for (int t = 0; t < total.length; t++) {
                float[] src = parts.get(p)[t];
                float[] dst = total[t];
                for (int i = 0; i < dst.length; i++) {
                    dst[i] += src[i];
                }
            }
        }
        float scale = 1f / (to - from);
        for (float[] t : total) {
            for (int i = 0; i < t.length; i++) {
                t[i] *= scale;
            }
        }
        return total;
    }

    private static void backward(Network net, float[] x, float[][] acts, float dz, float[][] g) {
        int nl = net.layers.size();
        float[] delta = {dz};
        for (int l = nl - 1; l >= 0; l--) {
            Network.Layer layer = net.layers.get(l);
            float[] in = l == 0 ? x : acts[l - 1];
            float[] out = acts[l];
            // through the activation: act(pre) = out
            float[] dpre = new float[layer.out()];
            for (int o = 0; o < layer.out(); o++) {
                dpre[o] = switch (layer.activation()) {
                    case NONE -> delta[o];
                    case RELU -> out[o] > 0f ? delta[o] : 0f;
                    case TANH -> delta[o] * (1f - out[o] * out[o]);
                };
            }
            float[] gw = g[2 * l];
            float[] gb = g[2 * l + 1];
            for (int o = 0; o < layer.out(); o++) {
                gb[o] += dpre[o];
            }
            float[] dIn = l > 0 ? new float[layer.in()] : null;
            int outN = layer.out();
            for (int i = 0; i < layer.in(); i++) {
                float xi = in[i];
                if (xi != 0f) {
                    Numeric.axpy(xi, dpre, 0, gw, i * outN, outN);
                }
                if (dIn != null) {
                    dIn[i] = (float) Numeric.dot(layer.wt(), i * outN, dpre, 0, outN);
                }
            }
            delta = dIn;
        }
    }

    private static void adam(Network net, float[][] grad, float[][] m, float[][] v, long step, Settings s) {
        double b1 = 0.9;
        double b2 = 0.999;
        double c1 = 1 - Math.pow(b1, step);
        double c2 = 1 - Math.pow(b2, step);
        float lr = (float) s.learningRate();
        for (int l = 0; l < net.layers.size(); l++) {
            Network.Layer layer = net.layers.get(l);
            for (int t = 0; t < 2; t++) {
                float[] p = t == 0 ? layer.wt() : layer.bias();
                float[] gr = grad[2 * l + t];
                float[] mm = m[2 * l + t];
                float[] vv = v[2 * l + t];
                float decay = t == 0 ? (float) (s.learningRate() * s.weightDecay()) : 0f;
                for (int i = 0; i < p.length; i++) {
                    mm[i] = (float) (b1 * mm[i] + (1 - b1) * gr[i]);
                    vv[i] = (float) (b2 * vv[i] + (1 - b2) * gr[i] * gr[i]);
                    double mh = mm[i] / c1;
                    double vh = vv[i] / c2;
                    p[i] -= (float) (lr * mh / (Math.sqrt(vh) + 1e-8)) + decay * p[i];
                }
            }
        }
    }
}
