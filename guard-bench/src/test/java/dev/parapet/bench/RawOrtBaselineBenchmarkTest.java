package dev.parapet.bench;

import dev.parapet.onnx.Classification;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SequenceClassifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The baseline is only a fair floor if it computes what Parapet computes: same model, same
 * tokens, same batch, hence the same probabilities.
 */
class RawOrtBaselineBenchmarkTest {

    @Test
    void should_score_the_first_batch_like_parapet_classifyAll_at_batch_32() throws Exception {
        RawOrtBaselineBenchmark raw = new RawOrtBaselineBenchmark();
        raw.intraOpThreads = 1;
        raw.setUp();
        RawOrtBaselineBenchmark.Scratch scratch = new RawOrtBaselineBenchmark.Scratch();
        scratch.setUp();
        List<String> firstBatch = ShortTexts.batches(RawOrtBaselineBenchmark.BATCH).get(0);
        // one run of the whole batch, as the raw loop does (the encoder is quantized: batch companions matter)
        RuntimeOptions options = BenchOptions.parse("intraOpThreads=1;maxBatchSize=" + RawOrtBaselineBenchmark.BATCH + ";"
                + BenchOptions.ONE_RUN_PER_CALL);
        try (SequenceClassifier parapet = SequenceClassifier.builder(ModelSource.directory(BenchModels.toxicity())).options(options).build()) {
            float[][] expected = raw.rawBatch(scratch);
            List<Classification> actual = parapet.classifyAll(firstBatch);

            assertThat(actual).hasSize(expected.length);
            for (int i = 0; i < expected.length; i++) {
                for (int label = 0; label < expected[i].length; label++) {
                    assertThat((double) actual.get(i).probability(label)).as("text %d, label %d", i, label)
                            .isCloseTo(expected[i][label], within(1e-5));
                }
            }
        } finally {
            raw.tearDown();
        }
    }

    @Test
    void should_cut_the_texts_into_equal_batches_for_every_benchmarked_size() {
        assertThat(ShortTexts.ALL).hasSize(64).doesNotHaveDuplicates();
        for (int size : new int[] {1, 8, ClassifierBenchmark.TEXTS_PER_INVOCATION}) {
            assertThat(ShortTexts.batches(size)).hasSize(64 / size).allSatisfy(b -> assertThat(b).hasSize(size));
        }
    }
}
