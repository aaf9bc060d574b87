package dev.parapet.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: real tokenizer, real encoder, fitted head, fused model, real text. */
class DemoToxicityModelTest {

    @TempDir
    static Path tmp;

    private static OrtEnvironment env;
    private static OrtSession encoder;
    private static HuggingFaceTokenizer sourceTokenizer;
    private static AtomicInteger embedCalls = new AtomicInteger();
    private static Function<List<String>, float[][]> embedder;
    private static Path built;

    @BeforeAll
    static void buildOnce() throws Exception {
        env = OrtEnvironment.getEnvironment();
        encoder = env.createSession(TestSupport.encoderBytes(), new OrtSession.SessionOptions());
        sourceTokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(TestSupport.tokenizerBytes()), Map.of());
        // One text per run, unpadded, as the runtime module embeds: mean-pooled, not normalised.
        embedder = texts -> {
            embedCalls.incrementAndGet();
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) {
                long[][] ids = {sourceTokenizer.encode(texts.get(i)).getIds()};
                long[][] mask = TestSupport.onesLike(ids);
                try {
                    float[][][] hidden = (float[][][]) TestSupport.run(env, encoder, ids, mask);
                    out[i] = TestSupport.pool(hidden[0], mask[0], Pooling.MEAN, false);
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                }
            }
            return out;
        };
        built = build(tmp.resolve("demo"));
    }

    @AfterAll
    static void close() throws OrtException {
        if (encoder != null) {
            encoder.close();
        }
        if (sourceTokenizer != null) {
            sourceTokenizer.close();
        }
    }

    private static Path build(Path dir) {
        try (InputStream onnx = TestSupport.stream(TestSupport.ENCODER);
             InputStream tok = TestSupport.stream(TestSupport.TOKENIZER)) {
            return DemoToxicityModel.build(dir, onnx, tok, embedder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void should_classify_the_seed_corpus_and_obvious_new_sentences_through_the_exported_files() throws Exception {
        assertThat(built).isEqualTo(tmp.resolve("demo"));
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(built.resolve("tokenizer.json"));
             OrtSession fused = env.createSession(built.resolve("model.onnx").toString(), new OrtSession.SessionOptions())) {
            // The exported tokenizer no longer pads to 128.
            assertThat(tokenizer.encode("hello world").getIds()).containsExactly(101, 7592, 2088, 102);
            for (String text : SeedCorpus.toxic()) {
                assertThat(toxicProbability(tokenizer, fused, text)).as(text).isGreaterThan(0.5);
            }
            for (String text : SeedCorpus.benign()) {
                assertThat(toxicProbability(tokenizer, fused, text)).as(text).isLessThan(0.5);
            }
            assertThat(toxicProbability(tokenizer, fused, "You are a disgusting, useless idiot and I despise you."))
                    .isGreaterThan(0.5);
            assertThat(toxicProbability(tokenizer, fused, "Could you pass me the salt, please? Thanks!"))
                    .isLessThan(0.5);
        }
    }

    private static double toxicProbability(HuggingFaceTokenizer tokenizer, OrtSession fused, String text) throws OrtException {
        Encoding enc = tokenizer.encode(text);
        long[][] ids = {enc.getIds()};
        float[] logits = ((float[][]) TestSupport.run(env, fused, ids, new long[][] {enc.getAttentionMask()}))[0];
        return 1.0 / (1.0 + Math.exp(logits[0] - logits[1]));
    }

    @Test
    void should_write_demo_config_with_fingerprint() throws IOException {
        JsonObject cfg = JsonParser.parseString(Files.readString(built.resolve("config.json"))).getAsJsonObject();
        assertThat(cfg.getAsJsonObject("id2label").get("0").getAsString()).isEqualTo("non-toxic");
        assertThat(cfg.getAsJsonObject("id2label").get("1").getAsString()).isEqualTo("toxic");
        assertThat(cfg.get("pooling").getAsString()).isEqualTo("mean");
        assertThat(cfg.get("normalize").getAsBoolean()).isFalse();
        JsonObject parapet = cfg.getAsJsonObject("parapet");
        assertThat(parapet.get("fingerprint").getAsString()).hasSize(64);
        assertThat(parapet.get("demo").getAsString()).isEqualTo("true");
        assertThat(parapet.get("corpus_sha256").getAsString()).isEqualTo(SeedCorpus.sha256());
    }

    @Test
    void should_reuse_a_current_build_and_rebuild_a_stale_one() throws IOException {
        Path dir = tmp.resolve("reuse");
        build(dir);
        int calls = embedCalls.get();
        Path model = dir.resolve("model.onnx");
        FileTime stamp = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(model, stamp);

        assertThat(build(dir)).isEqualTo(dir);
        assertThat(embedCalls.get()).as("embedder calls on an up-to-date directory").isEqualTo(calls);
        assertThat(Files.getLastModifiedTime(model)).isEqualTo(stamp);

        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"fingerprint\": \"", "\"fingerprint\": \"stale"));
        build(dir);
        assertThat(embedCalls.get()).isEqualTo(calls + 1);
        assertThat(Files.getLastModifiedTime(model)).isNotEqualTo(stamp);
    }

    @Test
    void should_offer_about_thirty_distinct_sentences_per_class() {
        assertThat(SeedCorpus.toxic()).hasSizeBetween(25, 40).doesNotHaveDuplicates();
        assertThat(SeedCorpus.benign()).hasSizeBetween(25, 40).doesNotHaveDuplicates();
        assertThat(SeedCorpus.toxic()).doesNotContainAnyElementsOf(SeedCorpus.benign());
    }
}
