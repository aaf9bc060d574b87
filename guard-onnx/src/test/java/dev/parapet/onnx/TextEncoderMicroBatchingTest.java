package dev.parapet.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RuntimeOptions.microBatching on a real encoder: results reach the right callers, close is clean. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TextEncoderMicroBatchingTest {

    @Test
    void should_give_each_concurrent_caller_its_own_vectors_when_micro_batching() throws Exception {
        List<String> texts = new ArrayList<>(MicroBatcherTest.TEXTS);
        RuntimeOptions batching = RuntimeOptions.builder().intraOpThreads(1).microBatching(Duration.ofMillis(2)).microBatchLanes(2).build();
        try (TextEncoder solo = TextEncoder.builder(Encoders.minilm()).options(RuntimeOptions.builder().intraOpThreads(1).maxBatchSize(1).build())
                     .normalize(true).build();
             TextEncoder batched = TextEncoder.builder(Encoders.minilm()).options(batching).normalize(true).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(texts.size());
            try {
                for (int round = 0; round < 5; round++) {
                    List<Future<float[]>> futures = new ArrayList<>();
                    for (String t : texts) {
                        futures.add(pool.submit(() -> batched.embed(t)));
                    }
                    for (int i = 0; i < texts.size(); i++) {
                        float[] got = futures.get(i).get();
                        // companions shift a quantized encoder's output a little; another text's vector is far away
                        float[] own = solo.embed(texts.get(i));
                        assertThat(cosine(got, own)).as("'%s'", texts.get(i)).isGreaterThan(0.95);
                        for (int j = 0; j < texts.size(); j++) {
                            if (j != i) {
                                assertThat(cosine(got, own)).isGreaterThan(cosine(got, solo.embed(texts.get(j))));
                            }
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            batched.close();
            assertThatThrownBy(() -> batched.embed("late")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void should_validate_micro_batching_settings() {
        assertThatThrownBy(() -> RuntimeOptions.builder().microBatching(Duration.ofMillis(-1))).hasMessageContaining("microBatching maxWait");
        assertThatThrownBy(() -> RuntimeOptions.builder().microBatchLanes(0)).hasMessageContaining("microBatchLanes must be >= 1");
        assertThat(RuntimeOptions.defaults().microBatching()).isFalse();
        RuntimeOptions on = RuntimeOptions.builder().microBatching(Duration.ofMillis(2)).build();
        assertThat(on.toBuilder().build().microBatchWait()).isEqualTo(Duration.ofMillis(2));
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
