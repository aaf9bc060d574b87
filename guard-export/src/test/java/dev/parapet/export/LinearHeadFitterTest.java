package dev.parapet.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearHeadFitterTest {

    private static final List<String> BINARY = List.of("neg", "pos");

    /** Gaussian blobs; feature 2 is deliberately on a huge scale and offset so standardisation matters. */
    private static float[][] blobs(long seed, int[] labels, double separation, double noise) {
        Random rnd = new Random(seed);
        float[][] x = new float[labels.length][6];
        for (int i = 0; i < labels.length; i++) {
            for (int j = 0; j < 6; j++) {
                double centre = (j == labels[i] % 6) ? separation : 0.0;
                x[i][j] = (float) (centre + noise * rnd.nextGaussian());
            }
            x[i][2] = x[i][2] * 1000f + 5000f;
        }
        return x;
    }

    private static int[] labels(int... countsPerClass) {
        int n = 0;
        for (int c : countsPerClass) {
            n += c;
        }
        int[] y = new int[n];
        int i = 0;
        for (int c = 0; c < countsPerClass.length; c++) {
            for (int k = 0; k < countsPerClass[c]; k++) {
                y[i++] = c;
            }
        }
        return y;
    }

    private static double accuracy(LinearHead head, float[][] x, int[] y) {
        int ok = 0;
        for (int i = 0; i < x.length; i++) {
            ok += head.predict(x[i]) == y[i] ? 1 : 0;
        }
        return ok / (double) x.length;
    }

    @Test
    void should_reach_full_train_accuracy_on_separable_binary_data() {
        int[] y = labels(40, 40);
        float[][] x = blobs(1, y, 4.0, 0.5);
        LinearHead head = LinearHeadFitter.defaults().fit(x, y, BINARY);
        assertThat(head.numLabels()).isEqualTo(2);
        assertThat(head.dimension()).isEqualTo(6);
        assertThat(accuracy(head, x, y)).isEqualTo(1.0);
    }

    @Test
    void should_reach_full_train_accuracy_on_separable_multiclass_data() {
        int[] y = labels(25, 25, 25, 25);
        float[][] x = blobs(2, y, 4.0, 0.5);
        LinearHead head = LinearHeadFitter.defaults().fit(x, y, List.of("a", "b", "c", "d"));
        assertThat(head.numLabels()).isEqualTo(4);
        assertThat(accuracy(head, x, y)).isEqualTo(1.0);
        float[] p = head.probabilities(x[0]);
        assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void should_return_bit_identical_heads_for_identical_input() {
        int[] y = labels(30, 20, 10);
        float[][] x = blobs(3, y, 1.0, 1.0);
        LinearHeadFitter fitter = LinearHeadFitter.builder().balanced(true).build();
        LinearHead a = fitter.fit(x, y, List.of("a", "b", "c"));
        LinearHead b = fitter.fit(x, y, List.of("a", "b", "c"));
        assertThat(a.weights()).isDeepEqualTo(b.weights());
        assertThat(a.bias()).isEqualTo(b.bias());
        assertThat(a).isEqualTo(b);
    }

    @Test
    void should_return_a_symmetric_two_row_head_for_binary_problems() {
        int[] y = labels(20, 20);
        float[][] x = blobs(4, y, 2.0, 1.0);
        LinearHead head = LinearHeadFitter.defaults().fit(x, y, BINARY);
        float[][] w = head.weights();
        for (int j = 0; j < w[0].length; j++) {
            assertThat(w[0][j]).isEqualTo(-w[1][j]);
        }
        assertThat(head.bias()[0]).isEqualTo(-head.bias()[1]);
        float[] p = head.probabilities(x[0]);
        assertThat(p[0] + p[1]).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void should_fold_standardisation_back_so_the_head_applies_to_raw_features() {
        // Standardising makes the fit invariant to per-feature positive scaling and shifting; if the
        // folding were wrong, the two heads would disagree on the corresponding raw inputs.
        int[] y = labels(30, 30, 30);
        float[][] x = blobs(5, y, 1.5, 1.0);
        float[][] shifted = new float[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                shifted[i][j] = x[i][j] * (j + 1) * 0.5f + (j - 3) * 10f;
            }
        }
        List<String> names = List.of("a", "b", "c");
        LinearHead onRaw = LinearHeadFitter.defaults().fit(x, y, names);
        LinearHead onShifted = LinearHeadFitter.defaults().fit(shifted, y, names);
        for (int i = 0; i < x.length; i++) {
            float[] p = onRaw.probabilities(x[i]);
            float[] q = onShifted.probabilities(shifted[i]);
            for (int k = 0; k < p.length; k++) {
                assertThat(q[k]).isCloseTo(p[k], within(1e-3f));
            }
        }
    }

    @Test
    void should_shift_decisions_towards_the_rare_label_when_balanced() {
        int[] y = labels(180, 20);
        float[][] x = blobs(6, y, 1.0, 1.0); // overlapping: the unweighted fit favours the majority
        LinearHead plain = LinearHeadFitter.defaults().fit(x, y, BINARY);
        LinearHead balanced = LinearHeadFitter.builder().balanced(true).build().fit(x, y, BINARY);
        int plainRecall = 0;
        int balancedRecall = 0;
        double plainMean = 0;
        double balancedMean = 0;
        for (int i = 0; i < x.length; i++) {
            if (y[i] == 1) {
                plainRecall += plain.predict(x[i]);
                balancedRecall += balanced.predict(x[i]);
                plainMean += plain.probabilities(x[i])[1];
                balancedMean += balanced.probabilities(x[i])[1];
            }
        }
        assertThat(balancedRecall).isGreaterThan(plainRecall);
        assertThat(balancedMean).isGreaterThan(plainMean + 0.1 * 20);
    }

    @Test
    void should_converge_to_the_regularised_optimum() {
        // A much tighter stopping rule must not move the answer: the default one already sits at the optimum.
        int[] y = labels(30, 30, 30);
        float[][] x = blobs(8, y, 1.0, 1.0);
        List<String> names = List.of("a", "b", "c");
        LinearHead loose = LinearHeadFitter.defaults().fit(x, y, names);
        LinearHead tight = LinearHeadFitter.builder().tolerance(1e-12).maxIterations(20_000).build().fit(x, y, names);
        for (float[] xi : x) {
            float[] p = loose.probabilities(xi);
            float[] q = tight.probabilities(xi);
            for (int k = 0; k < p.length; k++) {
                assertThat(p[k]).isCloseTo(q[k], within(1e-4f));
            }
        }
    }

    @Test
    void should_shrink_weights_as_l2_grows() {
        int[] y = labels(30, 30);
        float[][] x = blobs(7, y, 2.0, 1.0);
        double small = norm(LinearHeadFitter.builder().l2(1e-3).build().fit(x, y, BINARY));
        double large = norm(LinearHeadFitter.builder().l2(1.0).build().fit(x, y, BINARY));
        assertThat(large).isLessThan(small);
    }

    private static double norm(LinearHead head) {
        double s = 0;
        for (float[] row : head.weights()) {
            for (float v : row) {
                s += (double) v * v;
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void should_name_the_offending_input() {
        LinearHeadFitter fitter = LinearHeadFitter.defaults();
        float[][] x = {{1, 2}, {3, 4}};
        assertThatThrownBy(() -> fitter.fit(x, new int[] {0, 2}, BINARY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels[1] = 2");
        assertThatThrownBy(() -> fitter.fit(x, new int[] {0, 0}, BINARY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 'pos' (id 1) has no training examples");
        assertThatThrownBy(() -> fitter.fit(new float[][] {{1, 2}, {3}}, new int[] {0, 1}, BINARY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("features rows differ");
        assertThatThrownBy(() -> fitter.fit(x, new int[] {0}, BINARY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels has 1 entries");
        assertThatThrownBy(() -> LinearHeadFitter.builder().l2(-1).maxIterations(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("l2 must be")
                .hasMessageContaining("maxIterations must be");
    }
}
