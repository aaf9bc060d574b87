package dev.parapet.train;

import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.PooledEmbedding;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training features of intermediate layers ({@link Workbench#tapped}) are what the runtime pools from
 * its one tapped run (real MiniLM), windows and openings included, and survive the cache.
 */
class WorkbenchTapsTest {
    static final String LAYER2 = Taps.bertLayer(2);
    static final List<String> TEXTS = List.of(
            "I'm sorry, but I can't help with that request.",
            "The capital of France is Paris, and it has been for a very long time; the city sits on the Seine river in the north.",
            "ok");

    @Test
    void should_attach_each_layers_poolings_as_the_runtime_computes_them(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        EmbeddingCache cache = new EmbeddingCache(tmp.resolve("cache"));
        List<TextEmbedding> trained;
        List<PooledEmbedding> openings;
        try (Workbench wb = new Workbench(data, cache, EncoderSpec.MINILM, 16, 1, null)) {
            Workbench tapped = wb.tapped(List.of(LAYER2));
            assertThat(wb.tapped(List.of())).isSameAs(wb);
            trained = tapped.embed(TEXTS, "texts");
            openings = tapped.openings(TEXTS, "texts", 8);
            assertThat(wb.embed(TEXTS, "texts").get(0).pooled().taps()).isEmpty();
        }
        RuntimeOptions one = RuntimeOptions.builder().maxBatchSize(1).build();
        try (TextEncoder runtime = TextEncoder.builder(EncoderSpec.MINILM.source()).maxLength(16).options(one).taps(List.of(LAYER2)).build()) {
            for (int i = 0; i < TEXTS.size(); i++) {
                EncodedText e = runtime.encodeWindows(List.of(TEXTS.get(i))).get(0);
                TextEmbedding t = trained.get(i);
                assertThat(t.windows()).hasSameSizeAs(e.windows());
                for (int w = 0; w < e.windows().size(); w++) {
                    // dynamically quantized: batch companions move the numbers slightly, so close rather than equal
                    assertThat(cosine(t.windows().get(w).tap(LAYER2).mean(), e.windows().get(w).embedding().tap(LAYER2).mean()))
                            .as("text %d window %d", i, w).isGreaterThan(0.99);
                    assertThat(cosine(t.windows().get(w).tap(LAYER2).mean(), t.windows().get(w).mean())).isLessThan(0.99);
                }
                assertThat(cosine(t.pooled().tap(LAYER2).max(), e.pooled().tap(LAYER2).max())).isGreaterThan(0.99);
                PooledEmbedding o = runtime.encodeOpenings(List.of(TEXTS.get(i)), 8).get(0);
                assertThat(cosine(openings.get(i).tap(LAYER2).cls(), o.tap(LAYER2).cls())).isGreaterThan(0.99);
            }
        }
        assertThat(trained.get(1).windows()).hasSizeGreaterThan(1);
        // a second workbench reads the same numbers back from the cache (one entry per layer)
        try (Workbench again = new Workbench(data, cache, EncoderSpec.MINILM, 16, 1, null)) {
            List<TextEmbedding> cached = again.tapped(List.of(LAYER2)).embed(TEXTS, "texts");
            assertThat(cached.get(1).pooled().tap(LAYER2).mean()).containsExactly(trained.get(1).pooled().tap(LAYER2).mean());
            assertThat(again.embedder().textsEmbedded()).isZero();
        }
        try (var files = Files.list(tmp.resolve("cache"))) {
            assertThat(files.filter(f -> f.getFileName().toString().contains("-L2-")).count()).isEqualTo(2); // windows and openings
        }
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
