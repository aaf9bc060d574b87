package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class EmbeddingHeadTest {

    static EmbeddingHead twoLayer() {
        return EmbeddingHead.builder("toy")
                .encoder("toy-encoder", "00ff", 128)
                .poolings(List.of(Pooling.MEAN, Pooling.MAX))
                .layer(new EmbeddingHead.Dense(4, 2, new float[]{1, 0, 0, 0, 0, -1, 0, 0}, new float[]{0.5f, 0}, EmbeddingHead.Activation.RELU))
                .layer(new EmbeddingHead.Dense(2, 1, new float[]{2, -1}, new float[]{-0.25f}, EmbeddingHead.Activation.NONE))
                .calibration(0.5, 0.1)
                .labels(List.of("ok", "bad"))
                .threshold(0.42)
                .metadata(Map.of("data", "toy", "dev_f1", 0.9))
                .build();
    }

    @Test
    void should_compute_features_layers_and_calibration() {
        EmbeddingHead head = twoLayer();
        PooledEmbedding e = new PooledEmbedding(new float[]{1, 2}, new float[]{9, 9}, new float[]{-3, 4});
        float[] f = head.textFeatures(e);
        assertThat(f).containsExactly(1, 2, -3, 4);
        // layer 1: relu(1 + .5) = 1.5, relu(-2) = 0 ; layer 2: 2*1.5 - 0 - .25 = 2.75
        assertThat(head.score(f)).isCloseTo(2.75, within(1e-6));
        assertThat(head.probability(f)).isCloseTo(1 / (1 + Math.exp(-(0.5 * 2.75 + 0.1))), within(1e-9));
        assertThatThrownBy(() -> head.score(new float[3])).hasMessageContaining("4 features");
    }

    @Test
    void should_build_pair_features_in_declared_order() {
        EmbeddingHead head = EmbeddingHead.builder("pair").encoder("e", "00", 64).input(EmbeddingHead.Input.PAIR)
                .poolings(List.of(Pooling.CLS)).normalize(false)
                .pairFeatures(List.of(EmbeddingHead.PairFeature.RESPONSE, EmbeddingHead.PairFeature.PRODUCT, EmbeddingHead.PairFeature.ABS_DIFF))
                .layer(new EmbeddingHead.Dense(6, 1, new float[6], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("worse", "better")).build();
        PooledEmbedding p = new PooledEmbedding(new float[2], new float[]{1, -2}, new float[2]);
        PooledEmbedding r = new PooledEmbedding(new float[2], new float[]{3, 4}, new float[2]);
        assertThat(head.pairFeatures(p, r)).containsExactly(3, 4, 3, -8, 2, 6);
        assertThat(head.probability(p, r)).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void should_append_the_openings_poolings_and_round_trip_them() {
        EmbeddingHead head = EmbeddingHead.builder("opening").encoder("e", "00", 64)
                .poolings(List.of(Pooling.CLS)).normalize(true).opening(12, List.of(Pooling.MEAN, Pooling.CLS))
                .layer(new EmbeddingHead.Dense(6, 1, new float[]{1, 0, 0, 0, 0, 1}, new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("compliance", "refusal")).build();
        PooledEmbedding window = new PooledEmbedding(new float[2], new float[]{3, 4}, new float[2]);
        PooledEmbedding opening = new PooledEmbedding(new float[]{0, 2}, new float[]{-1, 0}, new float[2]);
        assertThat(head.textFeatures(window, opening)).containsExactly(0.6f, 0.8f, 0, 1, -1, 0);
        // z = 0.6 + 0 : the first window unit plus the opening's CLS second unit
        assertThat(head.probability(window, opening)).isCloseTo(1 / (1 + Math.exp(-0.6)), within(1e-6));
        assertThatThrownBy(() -> head.probability(window)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("first 12 tokens");
        assertThatThrownBy(() -> twoLayer().textFeatures(window, opening)).isInstanceOf(IllegalStateException.class);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        head.write(out);
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("\"opening\"");
        EmbeddingHead back = EmbeddingHead.read(new java.io.ByteArrayInputStream(out.toByteArray()), "mem");
        assertThat(back.openingTokens()).isEqualTo(12);
        assertThat(back.openingPoolings()).containsExactly(Pooling.MEAN, Pooling.CLS);
        assertThat(back.probability(window, opening)).isEqualTo(head.probability(window, opening));

        assertThatThrownBy(() -> EmbeddingHead.builder("x").opening(2, List.of(Pooling.CLS))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddingHead.builder("x").opening(12, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddingHead.builder("x").encoder("e", "00", 8).opening(12, List.of(Pooling.CLS))
                .layer(new EmbeddingHead.Dense(1, 1, new float[1], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("a", "b")).build()).hasMessageContaining("longer than");
    }


    @Test
    void should_follow_each_block_with_the_same_poolings_of_every_tap_and_round_trip_them() {
        EmbeddingHead head = EmbeddingHead.builder("taps").encoder("e", "00", 64)
                .poolings(List.of(Pooling.CLS)).normalize(true).opening(12, List.of(Pooling.MEAN)).taps(List.of("L7"))
                .layer(new EmbeddingHead.Dense(8, 1, new float[]{0, 0, 1, 0, 0, 0, 0, 0}, new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("compliance", "refusal")).build();
        PooledEmbedding window = new PooledEmbedding(new float[2], new float[]{3, 4}, new float[2],
                java.util.Map.of("L7", new PooledEmbedding(new float[2], new float[]{0, -2}, new float[2])));
        PooledEmbedding opening = new PooledEmbedding(new float[]{0, 2}, new float[2], new float[2],
                java.util.Map.of("L7", new PooledEmbedding(new float[]{5, 0}, new float[2], new float[2])));
        // window CLS, window's L7 CLS, opening MEAN, opening's L7 MEAN
        assertThat(head.textFeatures(window, opening)).containsExactly(0.6f, 0.8f, 0, -1, 0, 1, 1, 0);
        assertThat(head.probability(window, opening)).isCloseTo(0.5, within(1e-6));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        head.write(out);
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("\"taps\"");
        EmbeddingHead back = EmbeddingHead.read(new java.io.ByteArrayInputStream(out.toByteArray()), "mem");
        assertThat(back.taps()).containsExactly("L7");
        assertThat(back.textFeatures(window, opening)).containsExactly(head.textFeatures(window, opening));

        PooledEmbedding untapped = new PooledEmbedding(new float[2], new float[]{3, 4}, new float[2]);
        assertThatThrownBy(() -> head.textFeatures(untapped, opening)).isInstanceOf(IllegalStateException.class).hasMessageContaining("L7");
        assertThatThrownBy(() -> EmbeddingHead.builder("x").taps(List.of("a", "a"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddingHead.builder("x").taps(List.of(""))).isInstanceOf(IllegalArgumentException.class);
    }
    @Test
    void should_round_trip_through_json() {
        EmbeddingHead head = twoLayer();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        head.write(out);
        EmbeddingHead back = EmbeddingHead.read(new ByteArrayInputStream(out.toByteArray()), "toy.json");
        PooledEmbedding e = new PooledEmbedding(new float[]{0.3f, -2}, new float[2], new float[]{1.5f, 4});
        assertThat(back.probability(e)).isEqualTo(head.probability(e));
        assertThat(back.threshold()).isEqualTo(0.42);
        assertThat(back.labels()).containsExactly("ok", "bad");
        assertThat(back.poolings()).containsExactly(Pooling.MEAN, Pooling.MAX);
        assertThat(back.encoderSha256()).isEqualTo("00ff");
        assertThat(back.metadata()).containsEntry("data", "toy");
        assertThat(new String(out.toByteArray(), StandardCharsets.UTF_8)).contains("\"format\": \"parapet-head/1\"");
    }

    @Test
    void should_reject_broken_heads_naming_the_source() {
        assertThatThrownBy(() -> EmbeddingHead.read(new ByteArrayInputStream("{".getBytes(StandardCharsets.UTF_8)), "heads/x.json"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("heads/x.json");
        assertThatThrownBy(() -> EmbeddingHead.read(new ByteArrayInputStream("{\"format\":\"other/9\"}".getBytes(StandardCharsets.UTF_8)), "y.json"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("other/9");
        assertThatThrownBy(() -> EmbeddingHead.read(new ByteArrayInputStream("{\"format\":\"parapet-head/1\",\"name\":\"z\"}".getBytes(StandardCharsets.UTF_8)), "z.json"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("z.json");
        assertThatThrownBy(() -> EmbeddingHead.builder("bad").encoder("e", "0", 64).labels(List.of("a", "b"))
                .layer(new EmbeddingHead.Dense(2, 3, new float[6], new float[3], EmbeddingHead.Activation.RELU))
                .layer(new EmbeddingHead.Dense(2, 1, new float[2], new float[1], EmbeddingHead.Activation.NONE)).build())
                .hasMessageContaining("layer 1 takes 2 inputs");
    }

    @Test
    void should_pool_mean_cls_and_max_from_one_encoder_pass() {
        try (TextEncoder enc = TextEncoder.builder(Encoders.minilm()).options(RuntimeOptions.builder().maxBatchSize(1).build()).build();
             TextEncoder cls = TextEncoder.builder(Encoders.minilm()).pooling(Pooling.CLS).options(RuntimeOptions.builder().maxBatchSize(1).build()).build()) {
            List<String> texts = List.of("hello world", "Bread needs flour, water, salt and yeast.");
            List<PooledEmbedding> pooled = enc.encodeAll(texts);
            float[][] mean = enc.embedAll(texts);
            float[][] first = cls.embedAll(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(pooled.get(i).mean()).containsExactly(mean[i]);
                assertThat(pooled.get(i).cls()).containsExactly(first[i]);
                for (int d = 0; d < 384; d++) {
                    assertThat(pooled.get(i).max()[d]).isGreaterThanOrEqualTo(pooled.get(i).mean()[d] - 1e-6f);
                }
            }
        }
    }

    static EmbeddingHead lexiconHead(int[] lexicon) {
        // weights: one for the window's mean, then one per lexicon column
        float[] w = new float[1 + lexicon.length];
        w[0] = 1;
        for (int j = 0; j < lexicon.length; j++) {
            w[1 + j] = 10 * (j + 1);
        }
        return EmbeddingHead.builder("lexicon").encoder("e", "00", 64).poolings(List.of(Pooling.MEAN)).normalize(false)
                .lexicon(lexicon)
                .layer(new EmbeddingHead.Dense(1 + lexicon.length, 1, w, new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("ok", "bad")).build();
    }

    @Test
    void should_append_the_lexicon_block_from_the_windows_pieces() {
        EmbeddingHead head = lexiconHead(new int[]{7, 9, 5});
        PooledEmbedding e = new PooledEmbedding(new float[]{0.5f}, new float[1], new float[1]);
        // 5 twice and 7 once: two distinct pieces present, each 1/sqrt(2), in the lexicon's order (7, 9, 5)
        float h = (float) (1 / Math.sqrt(2));
        assertThat(head.textFeatures(e.withPieces(new int[]{101, 5, 7, 5, 102}))).containsExactly(0.5f, h, 0, h);
        assertThat(head.textFeatures(e.withPieces(new int[]{101, 9, 102}))).containsExactly(0.5f, 0, 1, 0);
        assertThat(head.textFeatures(e.withPieces(new int[]{101, 4, 102}))).containsExactly(0.5f, 0, 0, 0);
        assertThat(head.score(head.textFeatures(e.withPieces(new int[]{9})))).isCloseTo(0.5 + 20, within(1e-6));
        assertThatThrownBy(() -> head.textFeatures(e)).isInstanceOf(IllegalStateException.class).hasMessageContaining("token ids");
        assertThat(head.lexicon()).containsExactly(7, 9, 5);
        assertThat(twoLayer().lexicon()).isEmpty();
    }

    @Test
    void should_round_trip_the_lexicon_and_reject_bad_ones() {
        EmbeddingHead head = lexiconHead(new int[]{7, 9, 5});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        head.write(out);
        EmbeddingHead back = EmbeddingHead.read(new ByteArrayInputStream(out.toByteArray()), "lexicon.json");
        assertThat(back.lexicon()).containsExactly(7, 9, 5);
        PooledEmbedding e = new PooledEmbedding(new float[]{0.5f}, new float[1], new float[1]).withPieces(new int[]{5, 9});
        assertThat(back.probability(e)).isEqualTo(head.probability(e));
        assertThatThrownBy(() -> lexiconHead(new int[]{7, 7})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
        assertThatThrownBy(() -> lexiconHead(new int[]{0, 3})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> EmbeddingHead.builder("pair").encoder("e", "00", 64).input(EmbeddingHead.Input.PAIR)
                .poolings(List.of(Pooling.CLS)).pairFeatures(List.of(EmbeddingHead.PairFeature.RESPONSE)).lexicon(new int[]{5})
                .layer(new EmbeddingHead.Dense(2, 1, new float[2], new float[1], EmbeddingHead.Activation.NONE))
                .labels(List.of("worse", "better")).build()).hasMessageContaining("only a TEXT head can read a lexicon");
    }

    @Test
    void should_read_the_lexicon_from_each_windows_own_token_ids() {
        try (TextEncoder enc = TextEncoder.builder(Encoders.minilm()).maxLength(32).build()) {
            // the word's own pieces, special tokens left out, make the lexicon
            int[] word = enc.encodeWindows(List.of("idiot")).get(0).pooled().pieces();
            assertThat(word[0]).isEqualTo(101);
            assertThat(word[word.length - 1]).isEqualTo(102);
            int[] lexicon = java.util.Arrays.copyOfRange(word, 1, word.length - 1);
            EmbeddingHead head = lexiconHead(lexicon);
            String filler = "The weather was mild and the birds sang in the garden all morning long. ";
            List<EncodedText> enc2 = enc.encodeWindows(List.of("you idiot", "a nice bird", filler.repeat(3) + "what an idiot"));
            // the block follows the 384 mean values; every piece of the word present: each 1/sqrt(K)
            int off = 384;
            float each = (float) (1 / Math.sqrt(lexicon.length));
            float[] hit = head.textFeatures(enc2.get(0).windows().get(0).embedding());
            float[] miss = head.textFeatures(enc2.get(1).windows().get(0).embedding());
            assertThat(hit).hasSize(off + lexicon.length);
            assertThat(java.util.Arrays.copyOfRange(hit, off, hit.length)).containsOnly(each);
            assertThat(java.util.Arrays.copyOfRange(miss, off, miss.length)).containsOnly(0f);
            // a long text: only the window that holds the word lights the block; the pooled text holds every window's pieces
            List<EncodedText.WindowEmbedding> ws = enc2.get(2).windows();
            assertThat(ws.size()).isGreaterThan(1);
            assertThat(head.textFeatures(ws.get(0).embedding())[off]).isZero();
            assertThat(head.textFeatures(ws.get(ws.size() - 1).embedding())[off]).isEqualTo(each);
            assertThat(enc2.get(2).pooled().pieces().length).isEqualTo(ws.stream().mapToInt(w -> w.embedding().pieces().length).sum());
            for (EncodedText.WindowEmbedding w : ws) {
                assertThat(w.embedding().pieces()).hasSize(w.tokens());
            }
        }
    }
}
