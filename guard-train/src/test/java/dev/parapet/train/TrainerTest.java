package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Synthetic data: always runs, needs no dataset or encoder. */
class TrainerTest {

    /** Two Gaussian blobs in 20-d whose means differ in the first 5 dimensions, features on different scales. */
    static float[][] blobs(int n, long seed, int[] y) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] x = new float[n][20];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextDouble() < 0.35 ? 1 : 0;
            for (int j = 0; j < 20; j++) {
                double g = gaussian(rnd);
                x[i][j] = (float) ((g + (j < 5 && y[i] == 1 ? 1.2 : 0)) * (1 + j) + 3 * j);
            }
        }
        return x;
    }

    static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    static byte[] bytes(EmbeddingHead h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        h.write(out);
        return out.toByteArray();
    }

    static EmbeddingHead head(BinaryHeadTrainer.Fitted f) {
        EmbeddingHead.Builder b = EmbeddingHead.builder("t").encoder("e", "0", 64).labels(List.of("a", "b"))
                .calibration(f.calibration().a(), f.calibration().b()).threshold(f.threshold());
        f.layers().forEach(b::layer);
        return b.build();
    }

    @Test
    void should_fit_linear_and_mlp_heads_deterministically_and_beat_chance() {
        int[] y = new int[1500];
        float[][] x = blobs(1500, 7, y);
        int[] yTest = new int[600];
        float[][] xTest = blobs(600, 8, yTest);
        for (List<HeadModel> grid : List.of(List.of(HeadModel.linear(1e-3), HeadModel.linear(1e-1)), List.of(HeadModel.mlp(16, 1e-3)))) {
            BinaryHeadTrainer.Options o = BinaryHeadTrainer.Options.defaults(grid).withSeed(5);
            EmbeddingHead a = head(BinaryHeadTrainer.fit(x, y, o));
            EmbeddingHead b = head(BinaryHeadTrainer.fit(x, y, o));
            assertThat(bytes(a)).isEqualTo(bytes(b));
            double[] p = new double[xTest.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = a.probability(xTest[i]); // raw features: standardisation is folded into the first layer
            }
            Evaluation ev = Evaluation.of(List.of("a", "b"), p, yTest, a.threshold());
            assertThat(ev.rocAuc()).as("ROC-AUC of %s", grid).isGreaterThan(0.9);
            assertThat(ev.macroF1()).as("macro F1 of %s", grid).isGreaterThan(0.8);
        }
    }

    @Test
    void should_fit_a_pairwise_reward_that_ranks_held_out_pairs() {
        // chosen responses are shifted by 1 along one axis: the best possible pairwise accuracy is about 0.76
        int n = 1800;
        SplittableRandom rnd = new SplittableRandom(3);
        float[][] c = new float[n][10];
        float[][] r = new float[n][10];
        List<String> groups = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 10; j++) {
                c[i][j] = (float) (gaussian(rnd) + (j == 0 ? 1.0 : 0));
                r[i][j] = (float) gaussian(rnd);
            }
            groups.add("p" + (i / 2));
        }
        float[][] cTrain = java.util.Arrays.copyOfRange(c, 0, 800);
        float[][] rTrain = java.util.Arrays.copyOfRange(r, 0, 800);
        for (HeadModel m : List.of(HeadModel.linear(1e-3), HeadModel.mlp(8, 1e-3))) {
            RewardHeadTrainer.Options o = RewardHeadTrainer.Options.defaults(List.of(m));
            RewardHeadTrainer.Fitted f1 = RewardHeadTrainer.fit(cTrain, rTrain, null, groups.subList(0, 800), o);
            RewardHeadTrainer.Fitted f2 = RewardHeadTrainer.fit(cTrain, rTrain, null, groups.subList(0, 800), o);
            assertThat(f1.layers().get(0).weights()).isEqualTo(f2.layers().get(0).weights());
            EmbeddingHead.Builder b = EmbeddingHead.builder("r").encoder("e", "0", 64).labels(List.of("rejected", "chosen"));
            f1.layers().forEach(b::layer);
            EmbeddingHead h = b.build();
            double[] zc = new double[1000];
            double[] zr = new double[1000];
            for (int i = 0; i < 1000; i++) {
                zc[i] = h.score(c[800 + i]);
                zr[i] = h.score(r[800 + i]);
            }
            assertThat(Metrics.pairwiseAccuracy(zc, zr)).as("held-out pairwise accuracy of %s", m).isGreaterThan(0.7);
            assertThat(f1.calibrationA()).isPositive();
        }
    }

    @Test
    void should_fold_standardisation_into_the_first_layer() {
        int[] y = new int[400];
        float[][] x = blobs(400, 11, y);
        BinaryHeadTrainer.Fitted f = BinaryHeadTrainer.fit(x, y, BinaryHeadTrainer.Options.defaults(List.of(HeadModel.mlp(8, 1e-3))));
        EmbeddingHead h = head(f);
        for (int i = 0; i < 20; i++) {
            double direct = f.network.score(f.standardizer.apply(x[i]));
            assertThat(h.score(x[i])).isCloseTo(direct, org.assertj.core.api.Assertions.within(1e-3 * (1 + Math.abs(direct))));
        }
    }

    @Test
    void should_average_an_ensemble_into_one_wider_mlp_deterministically() {
        int[] y = new int[600];
        float[][] x = blobs(600, 13, y);
        BinaryHeadTrainer.Options o = BinaryHeadTrainer.Options.defaults(List.of(HeadModel.ensemble(3, 8, 1e-3))).withSeed(5);
        BinaryHeadTrainer.Fitted a = BinaryHeadTrainer.fit(x, y, o);
        BinaryHeadTrainer.Fitted b = BinaryHeadTrainer.fit(x, y, o);
        assertThat(bytes(head(a))).isEqualTo(bytes(head(b)));
        assertThat(a.layers().get(0).out()).isEqualTo(24);
        assertThat(a.model().toString()).contains("x3");

        // the merged network's output is the mean of its members' outputs
        SplittableRandom rnd = new SplittableRandom(1);
        List<Network> members = new java.util.ArrayList<>();
        for (int k = 0; k < 3; k++) {
            float[] w1 = new float[4 * 2];
            float[] b1 = new float[2];
            float[] w2 = new float[2];
            for (int i = 0; i < w1.length; i++) {
                w1[i] = (float) gaussian(rnd);
            }
            b1[0] = (float) gaussian(rnd);
            w2[0] = (float) gaussian(rnd);
            w2[1] = (float) gaussian(rnd);
            members.add(new Network(List.of(Network.Layer.rowMajor(4, 2, w1, b1, EmbeddingHead.Activation.RELU),
                    Network.Layer.rowMajor(2, 1, w2, new float[] {(float) k}, EmbeddingHead.Activation.NONE))));
        }
        Network avg = Network.average(members);
        for (int t = 0; t < 10; t++) {
            float[] v = new float[4];
            for (int i = 0; i < 4; i++) {
                v[i] = (float) gaussian(rnd);
            }
            double mean = 0;
            for (Network m : members) {
                mean += m.score(v) / 3;
            }
            assertThat(avg.score(v)).isCloseTo(mean, org.assertj.core.api.Assertions.within(1e-5));
        }
    }

    @Test
    void should_balance_class_weights_within_each_source() {
        int[] y = {1, 1, 1, 0, 0, 1};
        int[] g = {0, 0, 0, 0, 1, 1};
        double[] w = BinaryHeadTrainer.groupBalancedWeights(y, g);
        // source 0: 3 positives, 1 negative of 4 rows; source 1: one of each
        assertThat(w).containsExactly(4 / 6.0, 4 / 6.0, 4 / 6.0, 2.0, 1.0, 1.0);
    }
}
