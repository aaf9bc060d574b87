package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;

import java.util.Locale;

/**
 * One candidate head architecture with its regularisation: a linear model ({@code hidden = 0},
 * L2 strength {@code l2}, fitted exactly with L-BFGS) or a one-hidden-layer MLP (AdamW with weight
 * decay {@code l2}, early stopping). {@code members > 1}: that many MLPs fitted from different seeds
 * and averaged (their logits), stored as one MLP with {@code members * hidden} units.
 */
public record HeadModel(int hidden, EmbeddingHead.Activation activation, double l2, int members) {

    public HeadModel {
        if (members < 1 || (members > 1 && hidden == 0)) {
            throw new IllegalArgumentException("members must be >= 1, and 1 for a linear model; got " + members);
        }
    }

    public HeadModel(int hidden, EmbeddingHead.Activation activation, double l2) {
        this(hidden, activation, l2, 1);
    }

    /** {@code members} MLPs of {@code hidden} units from different seeds, logits averaged. */
    public static HeadModel ensemble(int members, int hidden, double weightDecay) {
        return new HeadModel(hidden, EmbeddingHead.Activation.RELU, weightDecay, members);
    }

    public static HeadModel linear(double l2) {
        return new HeadModel(0, EmbeddingHead.Activation.NONE, l2);
    }

    public static HeadModel mlp(int hidden, double weightDecay) {
        return new HeadModel(hidden, EmbeddingHead.Activation.RELU, weightDecay);
    }

    public boolean isLinear() {
        return hidden == 0;
    }

    MlpTrainer.Settings settings(long seed, int threads) {
        // lr 1e-3, batches of up to 128, up to 100 epochs with patience 8: enough to converge on ~1k-60k rows
        return new MlpTrainer.Settings(hidden, activation, l2, 1e-3, 128, 100, 8, seed, threads);
    }

    @Override
    public String toString() {
        return isLinear() ? String.format(Locale.ROOT, "linear l2=%g", l2)
                : String.format(Locale.ROOT, "mlp %d %s wd=%g", hidden, activation.name().toLowerCase(Locale.ROOT), l2)
                + (members > 1 ? " x" + members + " (averaged)" : "");
    }
}
