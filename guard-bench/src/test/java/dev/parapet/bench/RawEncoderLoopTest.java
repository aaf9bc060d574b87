package dev.parapet.bench;

import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The hand-written loop is only a fair floor for the default scanner if it does the same encoder
 * work: same file, same windows, same CLS vectors. One row per run on both sides, so that batch
 * companions (the encoder is dynamically quantized) cannot make them differ.
 */
class RawEncoderLoopTest {

    @Test
    void should_compute_the_default_encoders_cls_vectors_with_the_same_windows_as_parapet() throws Exception {
        List<String> texts = List.of(BenchTexts.prompt(5), BenchTexts.answer(5), BenchTexts.longText(600, 3));
        RuntimeOptions oneRow = BenchOptions.parse("intraOpThreads=1;maxBatchSize=1;" + BenchOptions.ONE_RUN_PER_CALL);
        try (DefaultModels models = DefaultModels.load(oneRow, DefaultModels.DEFAULT_WINDOW_TOKENS);
             RawEncoderLoop raw = new RawEncoderLoop(1, 1)) {
            TextEncoder encoder = models.encoder().encoder();
            assertThat(encoder.maxLength()).isEqualTo(DefaultEncoderFiles.WINDOW);
            List<EncodedText> ours = encoder.encodeWindows(texts);
            float[][] theirs = raw.embedAll(texts);
            assertThat(ours.get(2).windows()).as("a 600-word text is windowed, not cut").hasSizeGreaterThan(3);
            for (int t = 0; t < texts.size(); t++) {
                float[] cls = ours.get(t).pooled().cls();
                for (int d = 0; d < cls.length; d++) {
                    assertThat((double) theirs[t][d]).as("text %d, dim %d", t, d).isCloseTo(cls[d], within(1e-4));
                }
            }
        }
    }
}
