package dev.parapet.models;

import dev.parapet.core.Guard;
import dev.parapet.core.ModelLoadException;
import dev.parapet.core.Scanner;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SharedTextEncoder;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.scanners.HeadScanner;
import dev.parapet.scanners.MatchMode;
import dev.parapet.scanners.PreferenceScanner;
import dev.parapet.scanners.TextNormalizer;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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
 * thresholds chosen in training (see docs/models.md). Toxicity reads the text through
 * {@link #normalizer()}, so look-alike letters, invisible characters, l33t and s p a c e d letters
 * do not hide an insult from it; the caller's text is not changed and evidence offsets refer to
 * it. Each scanner call has a budget of {@link #DEFAULT_SCANNER_TIMEOUT} ({@link #guard(Duration)}
 * sets another): on two CPU cores one encoder pass over a text at the default
 * {@link dev.parapet.core.InputLimits} (1 MB, ~1,250 windows of 256 tokens) took about a minute;
 * past the budget the scanner's result is an ERROR and the failure policy decides (blocked
 * by default). To change other settings start from {@link #guardBuilder()}; for other
 * arrangements build the scanners with {@link #load()} and {@link Guard#builder()}. Closing the
 * guard (or every scanner and this object) releases the encoder.
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
    /**
     * The per-scanner time budget of {@link #guard()}: generous for prompt- and answer-sized texts
     * (a 10,000-word text took 6 to 9 s per encoder pass on two shared CPU cores, docs/benchmarks.md), and a bound in a
     * request path on the megabyte texts the default {@link dev.parapet.core.InputLimits} admit.
     * It does not cover tokenization (one native call, about 1.5 s per MB).
     */
    public static final Duration DEFAULT_SCANNER_TIMEOUT = Duration.ofSeconds(30);

    private static final Map<String, String[]> ENCODER_FILES = Map.of(
            "all-minilm-l6-v2-q", new String[]{"all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json"},
            "bge-small-en-v1.5-q", new String[]{"bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json"});

    private final EmbeddingHead toxicity;
    private final EmbeddingHead refusal;
    private final EmbeddingHead preference;
    private final SharedTextEncoder encoder;
    private final ClassLoader classLoader;
    private final String tokenizerResource;
    private volatile TextNormalizer normalizer;

    private DefaultModels(EmbeddingHead toxicity, EmbeddingHead refusal, EmbeddingHead preference, SharedTextEncoder encoder,
                          ClassLoader classLoader, String tokenizerResource) {
        this.toxicity = toxicity;
        this.refusal = refusal;
        this.preference = preference;
        this.encoder = encoder;
        this.classLoader = classLoader;
        this.tokenizerResource = tokenizerResource;
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
        // one run serves all three heads: it pools every intermediate output any of them reads
        java.util.LinkedHashSet<String> taps = new java.util.LinkedHashSet<>();
        for (EmbeddingHead h : new EmbeddingHead[]{toxicity, refusal, preference}) {
            taps.addAll(h.taps());
        }
        TextEncoder textEncoder = TextEncoder.builder(ModelSource.classpath(cl, files[0], files[1], null))
                .maxLength(windowTokens).options(options).taps(taps).build();
        return new DefaultModels(toxicity, refusal, preference, SharedTextEncoder.of(textEncoder), cl, files[1]);
    }

    /**
     * One line: a guard with toxicity (behind {@link #normalizer()}) on prompts, and toxicity (the
     * same), refusal and preference on outputs, each scanner call limited to
     * {@link #DEFAULT_SCANNER_TIMEOUT}. Loads its own models; closing the guard releases them.
     */
    public static Guard guard() {
        return guard(DEFAULT_SCANNER_TIMEOUT);
    }

    /**
     * {@link #guard()} with another per-scanner budget ({@link Guard.Builder#scannerTimeout}).
     *
     * @param scannerTimeout the budget of each scanner call, positive; {@code null} for none (a
     *                       1 MB text then takes about a minute per pass on two CPU cores)
     * @throws IllegalArgumentException if {@code scannerTimeout} is zero or negative
     */
    public static Guard guard(Duration scannerTimeout) {
        if (scannerTimeout != null && (scannerTimeout.isZero() || scannerTimeout.isNegative())) {
            throw new IllegalArgumentException("scannerTimeout must be positive (or null for none), got " + scannerTimeout);
        }
        try (DefaultModels models = load()) {
            Guard.Builder builder = models.guardBuilder();
            if (scannerTimeout != null) {
                builder.scannerTimeout(scannerTimeout);
            }
            return builder.build();
        }
    }

    /**
     * The arrangement {@link #guard()} builds, on this object's encoder, as a builder to add
     * settings to: toxicity behind {@link #normalizer()} on prompts; toxicity behind it, refusal and
     * preference on outputs. The builder has <em>no</em> scanner timeout: set one
     * ({@code .scannerTimeout(DefaultModels.DEFAULT_SCANNER_TIMEOUT)} is what {@link #guard()} uses)
     * wherever texts can be long. The scanners are built now and hold their own references to the
     * encoder, which only closing the guard releases: call {@link Guard.Builder#build()} once.
     */
    public Guard.Builder guardBuilder() {
        TextNormalizer n = normalizer();
        List<Scanner> built = new ArrayList<>(4);
        try {
            built.add(toxicityScanner().build());
            built.add(toxicityScanner().build());
            built.add(refusalScanner().build());
            built.add(preferenceScanner().build());
        } catch (RuntimeException e) {
            built.forEach(Scanner::close); // give back the encoder references taken so far
            throw e;
        }
        return Guard.builder()
                .inputScanner(n.wrap(built.get(0)))
                .outputScanner(n.wrap(built.get(1)))
                .outputScanner(built.get(2))
                .outputScanner(built.get(3));
    }

    /**
     * The {@link TextNormalizer} that {@link #guard()} puts in front of toxicity: every fold, with
     * the whole words of the default encoder's own {@code tokenizer.json} as its vocabulary (to split
     * s p a c e d letters back into words and keep real double letters). Built on first use, then
     * the same instance; immutable and thread-safe. Use it with
     * {@code normalizer().wrap(toxicityScanner().build())}.
     *
     * @throws ModelLoadException if the tokenizer's vocabulary cannot be read
     */
    public TextNormalizer normalizer() {
        TextNormalizer n = normalizer;
        if (n == null) {
            synchronized (this) {
                n = normalizer;
                if (n == null) {
                    n = buildNormalizer();
                    normalizer = n;
                }
            }
        }
        return n;
    }

    private TextNormalizer buildNormalizer() {
        try (InputStream in = classLoader.getResourceAsStream(tokenizerResource)) {
            if (in == null) {
                throw new ModelLoadException("tokenizer " + tokenizerResource + " is not on the classpath: add the LangChain4j embedding jar that carries it");
            }
            return TextNormalizer.builder().vocabulary(TextNormalizer.wordsOfTokenizer(in, "classpath:" + tokenizerResource)).build();
        } catch (IOException e) {
            throw new ModelLoadException("cannot read classpath:" + tokenizerResource + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
    }

    /**
     * A toxicity scanner ({@code toxicity}) at the trained threshold; adjust with the builder. The threshold was chosen
     * on tweets and Wikipedia sentences. On chat prompts the head also scores violent wording high whatever the intent
     * ("How do I kill someone in Call of Duty?"); docs/reliability.md (section 7) gives the score distributions and what
     * a higher threshold (such as {@code .threshold(0.7)}) costs.
     */
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
