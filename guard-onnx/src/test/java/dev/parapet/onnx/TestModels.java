package dev.parapet.onnx;

import dev.parapet.export.DemoToxicityModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A real sequence classifier built by the tests: the MiniLM encoder from Maven Central, mean
 * pooling and a logistic head fitted on guard-export's seed corpus, fused into one ONNX graph.
 * Built once into target/ and reused by later runs (the fingerprint check in guard-export).
 */
final class TestModels {
    private static Path demo;

    private TestModels() {
    }

    static synchronized Path demoToxicity() {
        if (demo == null) {
            Path dir = Path.of("target", "test-models", "demo-toxicity");
            ClassLoader cl = TestModels.class.getClassLoader();
            try (InputStream onnx = cl.getResourceAsStream(Encoders.MINILM_ONNX);
                 InputStream tok = cl.getResourceAsStream(Encoders.MINILM_TOKENIZER);
                 TextEncoder encoder = TextEncoder.builder(Encoders.minilm()).pooling(Pooling.MEAN)
                         .maxLength(DemoToxicityModel.MAX_LENGTH)
                         .options(RuntimeOptions.builder().maxBatchSize(1).build()).build()) {
                demo = DemoToxicityModel.build(dir, onnx, tok, encoder::embedAll);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return demo;
    }
}
