package dev.parapet.train;

import dev.parapet.export.FusedHeadExporter;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.Pooling;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SequenceClassifier;
import dev.parapet.onnx.TextEncoder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The fused Hugging Face-layout export reproduces the Java head: needs only the encoder jars. */
class FusedExportTest {
    static final List<String> TEXTS = List.of(
            "I hope you die, you worthless idiot",
            "Could you recommend a good book about birds?",
            "I'm sorry, but I can't help with that request.",
            "The capital of France is Paris.",
            "ok",
            "Bread needs flour, water, salt and yeast; knead it for ten minutes and let it rise twice before baking.");

    static EmbeddingHead randomHead(EncoderSpec enc, int maxLength, List<Pooling> poolings, boolean normalize, long seed) {
        return randomHead(enc, maxLength, poolings, normalize, seed, 0, List.of());
    }

    static EmbeddingHead randomHead(EncoderSpec enc, int maxLength, List<Pooling> poolings, boolean normalize, long seed,
                                    int openingTokens, List<Pooling> openingPoolings) {
        return randomHead(enc, maxLength, poolings, normalize, seed, openingTokens, openingPoolings, List.of());
    }

    static EmbeddingHead randomHead(EncoderSpec enc, int maxLength, List<Pooling> poolings, boolean normalize, long seed,
                                    int openingTokens, List<Pooling> openingPoolings, List<String> taps) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int in = 384 * (poolings.size() + openingPoolings.size()) * (1 + taps.size());
        int hidden = 12;
        float[] w1 = new float[in * hidden];
        float[] b1 = new float[hidden];
        for (int i = 0; i < w1.length; i++) {
            // raw (unnormalised) features are larger, so scale the weights down to keep probabilities away from 0 and 1
            w1[i] = (float) ((rnd.nextDouble() * 2 - 1) * (normalize ? 3.0 : 0.3) / Math.sqrt(poolings.size()));
        }
        for (int i = 0; i < hidden; i++) {
            b1[i] = (float) (rnd.nextDouble() - 0.5);
        }
        float[] w2 = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            w2[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return EmbeddingHead.builder("random").encoder(enc.name(), enc.sha256(), maxLength).poolings(poolings).normalize(normalize)
                .opening(openingTokens, openingPoolings).taps(taps)
                .layer(new EmbeddingHead.Dense(in, hidden, w1, b1, EmbeddingHead.Activation.RELU))
                .layer(new EmbeddingHead.Dense(hidden, 1, w2, new float[] {0.1f}, EmbeddingHead.Activation.NONE))
                .calibration(0.8, -0.3).labels(List.of("non-toxic", "toxic")).threshold(0.5).build();
    }

    static double maxDifference(EmbeddingHead head, EncoderSpec enc, Path dir) {
        RuntimeOptions one = RuntimeOptions.builder().maxBatchSize(1).build();
        double max = 0;
        try (SequenceClassifier clf = SequenceClassifier.builder(ModelSource.directory(dir)).options(one).build();
             TextEncoder encoder = TextEncoder.builder(enc.source()).maxLength(head.maxLength()).options(one).taps(head.taps()).build()) {
            assertThat(clf.labels()).containsExactly("non-toxic", "toxic");
            for (String t : TEXTS) {
                EncodedText e = encoder.encodeWindows(List.of(t)).get(0);
                assertThat(e.windows()).hasSize(1);
                double java = head.openingTokens() == 0 ? head.probability(e.pooled())
                        : head.probability(e.pooled(), encoder.encodeOpenings(List.of(t), head.openingTokens()).get(0));
                double onnx = clf.classify(t).probability("toxic");
                max = Math.max(max, Math.abs(java - onnx));
            }
        }
        return max;
    }

    @Test
    void should_match_the_java_head_with_three_poolings_normalised_and_an_mlp(@TempDir Path tmp) throws Exception {
        EmbeddingHead head = randomHead(EncoderSpec.MINILM, 128, List.of(Pooling.CLS, Pooling.MEAN, Pooling.MAX), true, 1);
        Path dir = FusedExport.export(head, EncoderSpec.MINILM, tmp.resolve("fused"));
        assertThat(maxDifference(head, EncoderSpec.MINILM, dir)).isLessThan(1e-4);
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertThat(config.getAsJsonObject("id2label").get("1").getAsString()).isEqualTo("toxic");
        assertThat(config.get("problem_type").getAsString()).isEqualTo("single_label_classification");
        assertThat(config.getAsJsonObject("parapet").get("encoder_sha256").getAsString()).isEqualTo(EncoderSpec.MINILM.sha256());
    }

    @Test
    void should_match_the_java_head_that_also_reads_the_texts_opening(@TempDir Path tmp) throws Exception {
        // 8 tokens: "I hope you die, you worthless idiot" and the bread sentence are longer, "ok" is shorter
        EmbeddingHead head = randomHead(EncoderSpec.MINILM, 128, List.of(Pooling.CLS, Pooling.MEAN, Pooling.MAX), true, 4,
                8, List.of(Pooling.CLS, Pooling.MEAN, Pooling.MAX));
        Path dir = FusedExport.export(head, EncoderSpec.MINILM, tmp.resolve("fused"));
        assertThat(maxDifference(head, EncoderSpec.MINILM, dir)).isLessThan(1e-4);
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertThat(config.get("opening_tokens").getAsInt()).isEqualTo(8);
        // the opening's encoder copy shares the weights: the model stays about the encoder's size
        long plain = Files.size(FusedExport.export(randomHead(EncoderSpec.MINILM, 128, List.of(Pooling.CLS), true, 5),
                EncoderSpec.MINILM, tmp.resolve("plain")).resolve("model.onnx"));
        assertThat(Files.size(dir.resolve("model.onnx"))).isLessThan((long) (plain * 1.2));
    }

    @Test
    void should_match_the_java_head_that_reads_intermediate_layers_of_windows_and_opening(@TempDir Path tmp) throws Exception {
        List<String> taps = List.of(Taps.bertLayer(2), Taps.bertLayer(4));
        EmbeddingHead head = randomHead(EncoderSpec.MINILM, 128, List.of(Pooling.CLS, Pooling.MEAN, Pooling.MAX), true, 6,
                8, List.of(Pooling.CLS, Pooling.MEAN), taps);
        Path dir = FusedExport.export(head, EncoderSpec.MINILM, tmp.resolve("fused"));
        assertThat(maxDifference(head, EncoderSpec.MINILM, dir)).isLessThan(1e-4);
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertThat(config.getAsJsonArray("taps")).hasSize(2);
    }

    @Test
    void should_match_the_java_head_with_max_pooling_alone_unnormalised(@TempDir Path tmp) {
        EmbeddingHead head = randomHead(EncoderSpec.MINILM, 128, List.of(Pooling.MAX), false, 2);
        Path dir = FusedExport.export(head, EncoderSpec.MINILM, tmp.resolve("fused"));
        assertThat(maxDifference(head, EncoderSpec.MINILM, dir)).isLessThan(1e-4);
    }

    @Test
    void should_refuse_reward_heads_and_heads_of_another_encoder() {
        EmbeddingHead pair = EmbeddingHead.builder("p").encoder(EncoderSpec.MINILM.name(), EncoderSpec.MINILM.sha256(), 128)
                .input(EmbeddingHead.Input.PAIR).task(EmbeddingHead.Task.REWARD).pairFeatures(List.of(EmbeddingHead.PairFeature.RESPONSE))
                .layer(new EmbeddingHead.Dense(384, 1, new float[384], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("rejected", "chosen")).build();
        assertThatThrownBy(() -> FusedExport.exporter(pair, EncoderSpec.MINILM)).hasMessageContaining("only BINARY heads on TEXT");
        EmbeddingHead other = randomHead(EncoderSpec.MINILM, 128, List.of(Pooling.MEAN), true, 3);
        assertThatThrownBy(() -> FusedExport.exporter(other, EncoderSpec.BGE)).hasMessageContaining("was trained on all-minilm-l6-v2-q");
    }

    @Test
    void should_list_every_invalid_exporter_setting() {
        assertThatThrownBy(() -> FusedHeadExporter.builder().poolings(List.of()).labels(List.of("a")).calibration(Double.NaN, 0)
                .metadata(Map.of()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoder is required")
                .hasMessageContaining("tokenizer is required")
                .hasMessageContaining("poolings must list")
                .hasMessageContaining("at least one dense layer")
                .hasMessageContaining("calibration must be finite")
                .hasMessageContaining("labels must be two distinct names");
    }
}
