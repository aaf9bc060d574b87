package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InputLimitsTest {

    @Test
    void should_expose_named_defaults() {
        InputLimits limits = InputLimits.defaults();

        assertThat(limits.maxPromptChars()).isEqualTo(InputLimits.DEFAULT_MAX_PROMPT_CHARS).isEqualTo(1_048_576);
        assertThat(limits.maxOutputChars()).isEqualTo(InputLimits.DEFAULT_MAX_OUTPUT_CHARS).isEqualTo(1_048_576);
        assertThat(limits.maxBatchExchanges()).isEqualTo(InputLimits.DEFAULT_MAX_BATCH_EXCHANGES).isEqualTo(10_000);
        assertThat(InputLimits.builder().build()).isEqualTo(limits).hasSameHashCodeAs(limits);
    }

    @Test
    void should_build_custom_limits_and_rebuild_from_them() {
        InputLimits limits = InputLimits.builder().maxPromptChars(10).maxOutputChars(20).maxBatchExchanges(3).build();
        InputLimits changed = limits.rebuild().maxOutputChars(99).build();

        assertThat(limits.maxPromptChars()).isEqualTo(10);
        assertThat(limits.maxOutputChars()).isEqualTo(20);
        assertThat(limits.maxBatchExchanges()).isEqualTo(3);
        assertThat(changed.maxPromptChars()).isEqualTo(10);
        assertThat(changed.maxOutputChars()).isEqualTo(99);
        assertThat(limits.toString()).contains("maxPromptChars=10", "maxOutputChars=20", "maxBatchExchanges=3");
    }

    @Test
    void should_reject_non_positive_settings_naming_the_setting() {
        assertThatThrownBy(() -> InputLimits.builder().maxPromptChars(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("InputLimits.maxPromptChars must be positive, got 0");
        assertThatThrownBy(() -> InputLimits.builder().maxOutputChars(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxOutputChars");
        assertThatThrownBy(() -> InputLimits.builder().maxBatchExchanges(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchExchanges");
    }

    @Test
    void should_describe_the_limit_the_size_and_how_to_raise_it() {
        String message = InputLimits.defaults().checkPrompt("x".repeat(2_000_000));

        assertThat(message).isEqualTo("prompt has 2,000,000 chars, over InputLimits.maxPromptChars = 1,048,576; "
                + "raise it with InputLimits.builder().maxPromptChars(...)");
    }

    @Test
    void should_pass_text_exactly_at_the_limit_and_flag_one_char_more() {
        InputLimits limits = InputLimits.builder().maxPromptChars(5).maxOutputChars(3).build();

        assertThat(limits.checkPrompt("12345")).isNull();
        assertThat(limits.checkPrompt("123456")).contains("prompt has 6 chars", "InputLimits.maxPromptChars = 5");
        assertThat(limits.checkOutput("123")).isNull();
        assertThat(limits.check(Stage.OUTPUT, "1234"))
                .contains("output has 4 chars", "InputLimits.maxOutputChars = 3", "maxOutputChars(...)");
    }

    @Test
    void should_count_utf16_units_not_code_points() {
        InputLimits limits = InputLimits.builder().maxPromptChars(2).build();

        assertThat(limits.checkPrompt("😀")).isNull();
        assertThat(limits.checkPrompt("😀a")).isNotNull();
    }

    @Test
    void should_describe_a_batch_over_the_limit() {
        InputLimits limits = InputLimits.builder().maxBatchExchanges(10_000).build();

        assertThat(limits.checkBatch(10_000)).isNull();
        assertThat(limits.checkBatch(10_001)).contains("10,001 exchanges", "InputLimits.maxBatchExchanges = 10,000",
                "InputLimits.builder().maxBatchExchanges(...)");
    }
}
