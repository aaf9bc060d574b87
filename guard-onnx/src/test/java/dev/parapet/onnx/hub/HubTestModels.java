package dev.parapet.onnx.hub;

import dev.parapet.export.FusedClassifierExporter;
import dev.parapet.export.Pooling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real, small classifier for the loopback hub to serve: the MiniLM encoder from LangChain4j's jar
 * with a two-label head of zero weights (so its answer does not depend on the text: softmax of the
 * bias), fused by guard-export into a Hugging Face-layout directory. Built once into target/.
 */
final class HubTestModels {
    static final List<String> LABELS = List.of("NORMAL", "REJECTION");
    /** The head's bias: P(REJECTION) = sigmoid(1.5 - (-0.5)) = sigmoid(2) ≈ 0.881 for every text. */
    static final float[] BIAS = {-0.5f, 1.5f};
    private static Path dir;

    private HubTestModels() {
    }

    static synchronized Path classifier() {
        if (dir == null) {
            Path out = Path.of("target", "test-models", "hub-classifier-v1"); // bump when the recipe changes
            if (!Files.isRegularFile(out.resolve("config.json"))) {
                ClassLoader cl = HubTestModels.class.getClassLoader();
                try (InputStream onnx = cl.getResourceAsStream("all-minilm-l6-v2-q.onnx");
                     InputStream tok = cl.getResourceAsStream("all-minilm-l6-v2-q-tokenizer.json")) {
                    if (onnx == null || tok == null) {
                        throw new IllegalStateException("the MiniLM encoder jar is not on the test classpath");
                    }
                    FusedClassifierExporter.builder().encoder(onnx).tokenizer(tok).pooling(Pooling.MEAN)
                            .head(new float[2][384], BIAS).labels(LABELS).maxLength(128).build().export(out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            dir = out;
        }
        return dir;
    }

    /** The classifier's three files as the hub serves them, under {@code prefix} (e.g. "onnx/"). */
    static Map<String, byte[]> files(String prefix) {
        Path d = classifier();
        Map<String, byte[]> files = new LinkedHashMap<>();
        try {
            files.put(prefix + "model.onnx", Files.readAllBytes(d.resolve("model.onnx")));
            files.put(prefix + "tokenizer.json", Files.readAllBytes(d.resolve("tokenizer.json")));
            files.put(prefix + "config.json", Files.readAllBytes(d.resolve("config.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }
}
