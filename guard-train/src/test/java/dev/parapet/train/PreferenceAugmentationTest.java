package dev.parapet.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PreferenceAugmentationTest {

    @Test
    void should_pair_each_answer_with_a_refusal_and_a_non_answer() {
        List<LabelledText> rows = List.of(
                new LabelledText("What is 2 + 2?", "2 + 2 is 4.", 0),
                new LabelledText("Write a poem about a senator.", "As an AI language model, I cannot write that.", 1),
                new LabelledText("Name a bird.", "A robin is a bird.", 0));
        List<PreferencePair> pairs = PreferenceAugmentation.helpfulnessPairs(rows, 1);
        assertThat(pairs).hasSize(4);
        assertThat(pairs).allSatisfy(p -> assertThat(p.chosen()).isIn("2 + 2 is 4.", "A robin is a bird."));
        assertThat(pairs.stream().map(PreferencePair::rejected)).contains("As an AI language model, I cannot write that.");
        assertThat(PreferenceAugmentation.helpfulnessPairs(rows, 1)).isEqualTo(pairs);
    }

    @Test
    void should_keep_the_behaviour_test_phrases_out_of_training() {
        assertThat(PreferenceAugmentation.NON_ANSWERS).doesNotContain("I don't know.", "I'm sorry, I can't help with that.",
                "I'm sorry, but I can't help with that request.");
    }

    @Test
    void should_take_a_dialogues_last_human_turn_and_leave_a_plain_prompt_whole() {
        assertThat(PreferencePair.lastHumanTurn("Human: first\n\nAssistant: a\n\nHuman:  last one ")).isEqualTo("last one");
        assertThat(PreferencePair.lastHumanTurn("What is 2+2?")).isEqualTo("What is 2+2?");
        assertThat(PreferencePair.lastHumanTurn("Human: ")).isEqualTo("Human: ");
    }
}
