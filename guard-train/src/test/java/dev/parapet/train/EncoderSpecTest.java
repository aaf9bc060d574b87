package dev.parapet.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EncoderSpecTest {

    @Test
    void should_resolve_exact_names_before_aliases() {
        // "bge-small-en-v1.5" is part of the quantized encoder's name too: the exact name must win
        assertThat(EncoderSpec.named("bge-small-en-v1.5")).isEqualTo(EncoderSpec.BGE_FP32);
        assertThat(EncoderSpec.named("bge-small-en-v1.5-q")).isEqualTo(EncoderSpec.BGE);
        assertThat(EncoderSpec.named("BGE-SMALL-EN-V1.5-Q")).isEqualTo(EncoderSpec.BGE);
    }

    @Test
    void should_resolve_short_aliases_to_the_shipped_encoders_first() {
        assertThat(EncoderSpec.named("bge")).isEqualTo(EncoderSpec.BGE);
        assertThat(EncoderSpec.named("minilm")).isEqualTo(EncoderSpec.MINILM);
        assertThat(EncoderSpec.named("e5")).isEqualTo(EncoderSpec.E5);
        assertThat(EncoderSpec.shipped()).containsExactly(EncoderSpec.MINILM, EncoderSpec.BGE);
    }

    @Test
    void should_name_the_known_encoders_when_a_name_is_unknown() {
        assertThatThrownBy(() -> EncoderSpec.named("gte-small"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gte-small")
                .hasMessageContaining("bge-small-en-v1.5-q")
                .hasMessageContaining("e5-small-v2-q");
    }

    @Test
    void should_say_which_jar_is_missing_for_a_measurement_encoder() {
        // the float32 encoder is not a dependency of any module: its jar is not on the test classpath
        assertThatThrownBy(EncoderSpec.BGE_FP32::sha256)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bge-small-en-v1.5.onnx")
                .hasMessageContaining("LangChain4j jar");
    }
}
