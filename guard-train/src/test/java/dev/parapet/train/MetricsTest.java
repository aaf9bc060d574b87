package dev.parapet.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MetricsTest {

    @Test
    void should_match_scikit_learn_on_its_documented_example() {
        // sklearn docs: roc_auc_score([0,0,1,1],[.1,.4,.35,.8]) = 0.75, average_precision_score = 0.8333...
        int[] y = {0, 0, 1, 1};
        double[] s = {0.1, 0.4, 0.35, 0.8};
        assertThat(Metrics.rocAuc(s, y)).isCloseTo(0.75, within(1e-12));
        assertThat(Metrics.averagePrecision(s, y)).isCloseTo(0.8333333333, within(1e-9));
    }

    @Test
    void should_count_ties_as_half_in_roc_auc_and_group_them_in_average_precision() {
        int[] y = {0, 1, 0, 1};
        double[] s = {0.5, 0.5, 0.2, 0.9};
        // pairs (pos, neg): (0.9 > 0.5), (0.9 > 0.2), (0.5 = 0.5 -> 0.5), (0.5 > 0.2) -> 3.5 / 4
        assertThat(Metrics.rocAuc(s, y)).isCloseTo(0.875, within(1e-12));
        // thresholds 0.9: P 1, R .5; 0.5: P 2/3, R 1 -> .5*1 + .5*2/3
        assertThat(Metrics.averagePrecision(s, y)).isCloseTo(0.5 + 1.0 / 3, within(1e-12));
    }

    @Test
    void should_compute_pairwise_accuracy_with_half_credit_for_ties() {
        assertThat(Metrics.pairwiseAccuracy(new double[] {1, 2, 3, 4}, new double[] {0, 3, 3, 1})).isEqualTo(2.5 / 4);
    }

    @Test
    void should_pick_the_max_f1_threshold_between_validation_scores() {
        double[] p = {0.9, 0.8, 0.7, 0.4, 0.3, 0.1};
        int[] y = {1, 1, 0, 1, 0, 0};
        // cuts: after .9 f1 .67, after .8 f1 .8, after .7 f1 .67, after .4 f1 .857, after .3 f1 .75
        assertThat(Thresholds.maxF1(p, y)).isCloseTo(0.35, within(1e-12));
        // precision 1.0 is reached only by the top two; the most recall at that precision
        assertThat(Thresholds.forPrecision(p, y, 1.0)).isCloseTo(0.75, within(1e-12));
        // macro-F1 of the cuts: .625, .829, .667, .829, .625: the first best cut (after .8) wins
        assertThat(Thresholds.maxMacroF1(p, y)).isCloseTo(0.75, within(1e-12));
    }

    @Test
    void should_calibrate_platt_scaling_towards_observed_rates() {
        double[] z = new double[400];
        int[] y = new int[400];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (int i = 0; i < z.length; i++) {
            z[i] = rnd.nextDouble() * 8 - 4;
            // true model: p = sigmoid(0.5 z + 1)
            y[i] = rnd.nextDouble() < 1 / (1 + Math.exp(-(0.5 * z[i] + 1))) ? 1 : 0;
        }
        Calibration c = Calibration.platt(z, y);
        assertThat(c.a()).isCloseTo(0.5, within(0.2));
        assertThat(c.b()).isCloseTo(1.0, within(0.35));
    }
}
