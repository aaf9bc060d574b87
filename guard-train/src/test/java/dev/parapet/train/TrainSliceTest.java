package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.Pooling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Trains on a small slice of the shared toxicity data (skips without ../shared). */
class TrainSliceTest {

    static byte[] bytes(EmbeddingHead h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        h.write(out);
        return out.toByteArray();
    }

    static List<LabelledText> sliceTrain(Path data) {
        return Jsonl.readToxicity(data.resolve("toxicity/train.jsonl")).subList(0, 1000);
    }

    /** Every 9th dev row: the file is grouped by source, and its head is the hard OLID part. */
    static List<LabelledText> sliceDev(Path data) {
        List<LabelledText> allDev = Jsonl.readToxicity(data.resolve("toxicity/dev.jsonl"));
        List<LabelledText> dev = new java.util.ArrayList<>();
        for (int i = 0; i < allDev.size(); i += 9) {
            dev.add(allDev.get(i));
        }
        return dev;
    }

    @Test
    void should_train_deterministically_beat_chance_and_export_a_matching_fused_model(@TempDir Path tmp) {
        Path data = SharedData.datasets();
        List<LabelledText> train = sliceTrain(data);
        List<LabelledText> dev = sliceDev(data);
        FeatureSpec fs = FeatureSpec.text(true, Pooling.CLS, Pooling.MEAN);
        Tasks.BinaryRecipe recipe = new Tasks.BinaryRecipe(fs, List.of(HeadModel.linear(1e-2), HeadModel.linear(1e-1)));
        EmbeddingHead first;
        EmbeddingHead second;
        List<TextEmbedding> devE;
        try (Workbench wb = new Workbench(data, new EmbeddingCache(tmp.resolve("cache")), EncoderSpec.MINILM, 128, 2, null)) {
            List<TextEmbedding> a = wb.embedTexts(train, "slice-train");
            // a second, uncached pass gives the same vectors: same texts, same chunks, same batches
            List<TextEmbedding> b;
            try (Embedder again = new Embedder(EncoderSpec.MINILM, 128, 2, null)) {
                b = again.embed(train.stream().map(LabelledText::text).toList(), "again");
            }
            for (int i = 0; i < a.size(); i++) {
                assertThat(b.get(i).pooled().cls()).containsExactly(a.get(i).pooled().cls());
            }
            devE = wb.embedTexts(dev, "slice-dev");
            first = Tasks.binary(wb, "toxicity", Tasks.TOXICITY_LABELS, train, a, dev, devE, recipe, 7, null).head();
            second = Tasks.binary(wb, "toxicity", Tasks.TOXICITY_LABELS, train, b, dev, devE, recipe, 7, null).head();
        }
        assertThat(bytes(first)).isEqualTo(bytes(second));
        Evaluation ev = Evaluation.of(first, devE, Workbench.labels(dev), true);
        assertThat(ev.rocAuc()).isGreaterThan(0.75);
        assertThat(ev.report().accuracy()).isGreaterThan(0.65);

        Path dir = FusedExport.export(first, EncoderSpec.MINILM, tmp.resolve("fused"));
        List<String> texts = dev.subList(0, 20).stream().map(LabelledText::text).toList();
        assertThat(TrainDefaults.FusedCheck.maxDifference(first, ModelSource.directory(dir), EncoderSpec.MINILM, texts)).isLessThan(1e-4);
    }

    @Test
    void should_train_a_head_with_a_lexicon_that_the_runtime_scores_as_trained(@TempDir Path tmp) {
        Path data = SharedData.datasets();
        List<LabelledText> train = sliceTrain(data);
        List<LabelledText> dev = sliceDev(data);
        FeatureSpec fs = FeatureSpec.text(true, Pooling.CLS, Pooling.MEAN);
        Tasks.BinaryRecipe recipe = new Tasks.BinaryRecipe(fs, List.of(HeadModel.linear(1e-2))).withLexicon(300);
        Tasks.BinaryResult res;
        Tasks.BinaryResult again;
        try (Workbench wb = new Workbench(data, new EmbeddingCache(tmp.resolve("cache")), EncoderSpec.MINILM, 128, 2, null)) {
            List<TextEmbedding> a = wb.embedTexts(train, "slice-train");
            List<TextEmbedding> devE = wb.embedTexts(dev, "slice-dev");
            res = Tasks.binary(wb, "toxicity", Tasks.TOXICITY_LABELS, train, a, dev, devE, recipe, 7, null);
            again = Tasks.binary(wb, "toxicity", Tasks.TOXICITY_LABELS, train, a, dev, devE, recipe, 7, null);
        }
        EmbeddingHead head = res.head();
        assertThat(head.lexicon()).hasSize(300).doesNotContain(0, 101, 102);
        assertThat(head.inputSize()).isEqualTo(2 * 384 + 300);
        assertThat(bytes(head)).isEqualTo(bytes(again.head()));
        assertThat(res.dev().rocAuc()).isGreaterThan(0.75);
        // the runtime's own windows and token ids give the probabilities the evaluation saw
        try (TextEncoder enc = TextEncoder.builder(EncoderSpec.MINILM.source()).maxLength(128).build()) {
            List<String> texts = dev.subList(0, 20).stream().map(LabelledText::text).toList();
            List<EncodedText> encoded = enc.encodeWindows(texts);
            for (int i = 0; i < texts.size(); i++) {
                double p = encoded.get(i).windows().stream().mapToDouble(w -> head.probability(w.embedding())).max().orElseThrow();
                assertThat(p).isCloseTo(res.dev().probabilities()[i], within(1e-3));
            }
        }
        // the fused model computes the lexicon block from input_ids and matches the Java head
        Path dir = FusedExport.export(head, EncoderSpec.MINILM, tmp.resolve("fused"));
        List<String> texts = dev.subList(0, 20).stream().map(LabelledText::text).toList();
        assertThat(TrainDefaults.FusedCheck.maxDifference(head, ModelSource.directory(dir), EncoderSpec.MINILM, texts)).isLessThan(1e-4);
    }
}
