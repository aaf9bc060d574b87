package dev.parapet.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChartsTest {
    // scores with a tie at 0.8 between a negative and a positive, as scikit-learn's roc_curve treats it
    private static final double[] SCORES = {0.9, 0.8, 0.8, 0.3, 0.1, 0.05};
    private static final int[] LABELS = {1, 0, 1, 1, 0, 0};

    @Test
    void should_trace_the_roc_curve_at_every_distinct_threshold() {
        double[][] p = Charts.rocPoints(SCORES, LABELS);

        assertThat(p[0]).containsExactly(0, 0, 1 / 3.0, 1 / 3.0, 2 / 3.0, 1);
        assertThat(p[1]).containsExactly(0, 1 / 3.0, 2 / 3.0, 1, 1, 1);
    }

    @Test
    void should_trace_the_precision_recall_curve_from_recall_0_at_precision_1() {
        double[][] p = Charts.prPoints(SCORES, LABELS);

        assertThat(p[0]).containsExactly(0, 1 / 3.0, 2 / 3.0, 1, 1, 1);
        assertThat(p[1]).containsExactly(1, 1, 2 / 3.0, 0.75, 0.6, 0.5);
    }

    @Test
    void should_thin_long_curves_keeping_both_ends() {
        double[] x = new double[10_001];
        double[] y = new double[10_001];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / 10_000.0;
            y[i] = 1 - x[i];
        }

        double[][] t = Charts.thin(new double[][]{x, y});

        assertThat(t[0]).hasSize(2000).startsWith(0.0).endsWith(1.0);
        assertThat(t[1]).startsWith(1.0).endsWith(0.0);
    }

    @Test
    void should_make_file_names_from_model_names() {
        assertThat(Charts.slug("/work/models/fused/toxicity")).isEqualTo("work-models-fused-toxicity");
        assertThat(Charts.slug("judge:gpt-4o-mini")).isEqualTo("judge-gpt-4o-mini");
    }
}
