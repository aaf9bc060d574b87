package dev.parapet.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RefusalAugmentationTest {

    private static final String ANSWER = "Birds are warm-blooded vertebrates with feathers, beaks and hollow bones. ".repeat(4);
    private static final String HELD_OUT = "Held-out answer: the validation split must never see its text in a training row. ".repeat(4);

    private static List<LabelledText> rows() {
        return List.of(
                new LabelledText("p0", "I'm sorry, but I can't write that.", 1),
                new LabelledText("p1", ANSWER, 0),
                new LabelledText("p2", HELD_OUT, 0),
                new LabelledText("p3", "As an AI language model, I cannot do that. " + "x".repeat(RefusalAugmentation.LONG_REFUSAL_MAX_REFUSAL_CHARS), 1),
                new LabelledText("p4", "I won't help with that.", 1));
    }

    @Test
    void should_follow_short_usable_refusals_with_usable_answers_and_label_them_refusal() {
        List<LabelledText> rows = rows();
        List<RefusalAugmentation.Row> out = RefusalAugmentation.longRefusals(rows, i -> i != 2 && i != 4, 10, 13);

        // row 4 is not usable, row 3 is too long to be a refusal statement: only row 0 is extended
        assertThat(out).hasSize(1);
        RefusalAugmentation.Row r = out.get(0);
        assertThat(r.source()).isZero();
        assertThat(r.row().label()).isEqualTo(1);
        assertThat(r.row().prompt()).isEqualTo("p0");
        assertThat(r.row().text()).startsWith("I'm sorry, but I can't write that.\n\n" + ANSWER.strip())
                .doesNotContain("Held-out");
        // one usable answer is shorter than the target length: it is appended once, not repeated
        assertThat(r.row().text()).hasSize("I'm sorry, but I can't write that.".length() + 2 + ANSWER.strip().length());
    }

    @Test
    void should_reach_the_target_length_when_answers_allow_it_and_be_deterministic() {
        List<LabelledText> rows = new java.util.ArrayList<>(rows());
        for (int k = 0; k < 10; k++) {
            rows.add(new LabelledText("a" + k, "Answer " + k + ": " + ANSWER, 0));
        }
        List<RefusalAugmentation.Row> out = RefusalAugmentation.longRefusals(rows, i -> true, 1, 7);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).row().text().length()).isGreaterThanOrEqualTo(RefusalAugmentation.LONG_REFUSAL_MIN_CHARS);
        assertThat(RefusalAugmentation.longRefusals(rows, i -> true, 1, 7)).isEqualTo(out);
        assertThat(RefusalAugmentation.longRefusals(rows, i -> true, 10, 7)).hasSize(2); // rows 0 and 4
    }

    @Test
    void should_make_nothing_without_answers() {
        assertThat(RefusalAugmentation.longRefusals(rows(), i -> i == 0, 10, 13)).isEmpty();
    }

    @Test
    void should_leave_the_validation_split_unchanged_when_rows_derived_from_fit_originals_are_added() {
        // what Tasks.refusal relies on: the split is drawn from originals only, so appending long refusals built from
        // fit-split originals neither moves an original nor puts a derived row in the validation split
        int n = 200;
        int[] y = new int[n];
        int[] source = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3 == 0 ? 1 : 0;
            source[i] = i;
        }
        int[][] before = Splits.derived(y, source, 0.15, 13);
        java.util.BitSet fit = new java.util.BitSet();
        for (int i : before[0]) {
            fit.set(i);
        }
        int[] derivedFrom = fit.stream().filter(i -> y[i] == 1).limit(20).toArray();
        int[] y2 = java.util.Arrays.copyOf(y, n + derivedFrom.length);
        int[] source2 = java.util.Arrays.copyOf(source, n + derivedFrom.length);
        for (int k = 0; k < derivedFrom.length; k++) {
            y2[n + k] = 1;
            source2[n + k] = derivedFrom[k];
        }
        int[][] after = Splits.derived(y2, source2, 0.15, 13);
        assertThat(after[1]).containsExactly(before[1]);
        assertThat(after[0]).contains(java.util.stream.IntStream.range(n, n + derivedFrom.length).toArray());
    }

    @Test
    void should_write_each_row_as_other_models_would_keeping_its_label_and_source() {
        List<LabelledText> rows = List.of(
                new LabelledText("p0", "As an AI language model, I cannot provide instructions on that.", 1),
                new LabelledText("p1", "As an AI language model, I cannot have opinions, but birds are widely admired.", 0),
                new LabelledText("p2", "Birds are warm-blooded vertebrates.", 0),
                new LabelledText("p3", "It is not appropriate to ask that.", 1),
                new LabelledText("p4", "That request is harmful, so I can't do it.", 1),
                new LabelledText("p5", "   ", 0));
        List<RefusalAugmentation.Row> out = RefusalAugmentation.styles(rows, 13);

        // p3 (a refusal with no ChatGPT formula and no "I cannot") and the blank p5 give no copy
        assertThat(out).extracting(RefusalAugmentation.Row::source).containsExactly(0, 1, 2, 4);
        for (RefusalAugmentation.Row r : out) {
            LabelledText original = rows.get(r.source());
            assertThat(r.row().label()).isEqualTo(original.label());
            assertThat(r.row().prompt()).isEqualTo(original.prompt());
            assertThat(r.row().text()).isNotEqualTo(original.text());
        }
        // a ChatGPT formula gives way to another model's lead-in, on either label, and "I cannot" to another refusal verb
        for (int k : new int[] {0, 1}) {
            String t = out.get(k).row().text();
            assertThat(t).doesNotContain("As an AI language model").doesNotContain("I cannot").matches("^(I understand|I appreciate|Thank you).*, but I .*");
        }
        assertThat(out.get(0).row().text()).endsWith(" provide instructions on that.");
        assertThat(out.get(1).row().text()).endsWith(" have opinions, but birds are widely admired.");
        // a plain answer gets an answer's lead-in, its text kept
        assertThat(out.get(2).row().text()).endsWith(" Birds are warm-blooded vertebrates.").doesNotContain(", but");
        // a plain refusal keeps its wording but for the verb
        assertThat(out.get(3).row().text()).startsWith("That request is harmful, so I ").endsWith(" do it.").doesNotContain("can't");
        assertThat(RefusalAugmentation.styles(rows, 13)).isEqualTo(out);
    }

    @Test
    void should_change_only_a_verb_near_the_start() {
        String late = "Birds ".repeat(40) + "and I cannot list them all.";
        List<RefusalAugmentation.Row> out = RefusalAugmentation.styles(List.of(new LabelledText("p", late, 1)), 13);
        assertThat(out).isEmpty();
        List<RefusalAugmentation.Row> leadInsOnly = RefusalAugmentation.styles(
                List.of(new LabelledText("p", "I'm sorry, but I cannot help.", 1)), 13, true, false);
        assertThat(leadInsOnly.get(0).row().text()).endsWith(", but I cannot help.").doesNotStartWith("I'm sorry");
        List<RefusalAugmentation.Row> verbsOnly = RefusalAugmentation.styles(
                List.of(new LabelledText("p", "I'm sorry, but I cannot help.", 1)), 13, false, true);
        assertThat(verbsOnly.get(0).row().text()).startsWith("I'm sorry, but I ").doesNotContain("cannot").endsWith(" help.");
    }
}
