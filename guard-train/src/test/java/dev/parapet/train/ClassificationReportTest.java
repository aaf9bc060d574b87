package dev.parapet.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ClassificationReportTest {

    @Test
    void should_print_scikit_learn_layout_character_for_character() {
        // y_true = [0,0,0,0,1,1,1,0,1,0], y_pred = [0,0,1,0,1,0,1,0,1,1]
        // class 0: tp 4, support 6, predicted 5 -> p .8 r .6667 f1 .7273; class 1: tp 3, support 4, predicted 5 -> p .6 r .75 f1 .6667
        int[] yTrue = {0, 0, 0, 0, 1, 1, 1, 0, 1, 0};
        int[] yPred = {0, 0, 1, 0, 1, 0, 1, 0, 1, 1};
        ClassificationReport r = ClassificationReport.of(List.of("non-toxic", "toxic"), yTrue, yPred);
        String expected = ""
                + "              precision    recall  f1-score   support\n"
                + "\n"
                + "   non-toxic       0.80      0.67      0.73         6\n"
                + "       toxic       0.60      0.75      0.67         4\n"
                + "\n"
                + "    accuracy                           0.70        10\n"
                + "   macro avg       0.70      0.71      0.70        10\n"
                + "weighted avg       0.72      0.70      0.70        10\n";
        assertThat(r.toString()).isEqualTo(expected);
        assertThat(r.accuracy()).isEqualTo(0.7);
        assertThat(r.confusionMatrix()).isEqualTo(new long[][] {{4, 2}, {1, 3}});
    }

    @Test
    void should_widen_the_name_column_for_long_labels_and_honour_digits() {
        int[] y = {0, 1, 1, 1};
        int[] p = {0, 1, 1, 0};
        String s = ClassificationReport.of(List.of("compliance-of-the-model", "refusal"), y, p).format(3);
        String[] lines = s.split("\n", -1);
        assertThat(lines[0]).isEqualTo(" ".repeat(23) + " " + " precision    recall  f1-score   support");
        assertThat(lines[2]).isEqualTo("compliance-of-the-model      0.500     1.000     0.667         1");
        assertThat(lines[5]).isEqualTo("               accuracy                          0.750         4");
    }

    @Test
    void should_round_half_to_even_on_the_binary_value_like_python() {
        assertThat(ClassificationReport.fixed(0.125, 2)).isEqualTo("0.12");
        assertThat(ClassificationReport.fixed(0.375, 2)).isEqualTo("0.38");
        // 2.675 is 2.67499999... in binary: Python prints 2.67, String.format prints 2.68
        assertThat(ClassificationReport.fixed(2.675, 2)).isEqualTo("2.67");
        assertThat(String.format("%.2f", 2.675)).isEqualTo("2.68");
        assertThat(ClassificationReport.fixed(1.0, 2)).isEqualTo("1.00");
    }

    @Test
    void should_report_zero_when_a_class_is_never_predicted() {
        ClassificationReport r = ClassificationReport.of(List.of("a", "b"), new int[] {0, 1, 1}, new int[] {0, 0, 0});
        assertThat(r.row("b").precision()).isZero();
        assertThat(r.row("b").f1()).isZero();
        assertThat(r.row("a").precision()).isEqualTo(1.0 / 3);
    }
}
