package dev.parapet.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.parapet.core.ModelLoadException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Counts the tokens a Hugging Face {@code tokenizer.json} makes of a text, and says where each
 * token ends, for limits measured in tokens (a model's context window, a cost budget).
 *
 * <pre>{@code
 * try (TokenCounter counter = TokenCounter.load(Path.of("tokenizer.json"))) {
 *     int n = counter.count(prompt);
 *     int[] ends = counter.offsets(prompt);   // prompt.substring(0, ends[k - 1]) holds the first k tokens
 * }
 * }</pre>
 *
 * <h2>What is counted</h2>
 * The text as one sequence, with no special tokens ({@code [CLS]}, {@code </s>}, ...), no
 * padding and no truncation, whatever the {@code tokenizer.json} has baked in (the MiniLM file
 * pads and truncates to 128). A chat model's prompt template adds tokens of its own that are not
 * counted here.
 *
 * <h2>Offsets</h2>
 * DJL reports token spans in Unicode code points; this class converts them to UTF-16 indices, the
 * ones {@link String#substring(int, int)} takes, so a cut never splits a surrogate pair. Ends are
 * non-decreasing: tokens of a byte-level BPE tokenizer that share one character (pieces of an
 * emoji's UTF-8 bytes) all end where that character ends.
 *
 * <h2>Caveats</h2>
 * <ul>
 *   <li>Lone surrogates (invalid UTF-16) are handed to the tokenizer as U+FFFD. DJL's native side
 *       otherwise decodes the whole string lossily, turning each lone surrogate into several
 *       characters and shifting every later offset.</li>
 *   <li>Characters the tokenizer drops (BERT-style tokenizers drop control characters) belong to no
 *       token; text between two tokens belongs to neither.</li>
 * </ul>
 *
 * <h2>Threads and lifecycle</h2>
 * Thread-safe: any number of threads may count at once. {@link #close()} waits for calls in
 * flight (closing the native tokenizer under a running call would be a use-after-free), is
 * idempotent, and later calls throw {@link IllegalStateException}.
 *
 * <p>Before DJL's classes load, the system properties {@code OPT_OUT_TRACKING=true},
 * {@code RUST_FLAVOR=cpu} and {@code ai.djl.offline=true} are set unless the user set them (or the
 * matching environment variables) already, so the tokenizer never reaches the network.
 */
public final class TokenCounter implements AutoCloseable {
    // Counting must not depend on what the tokenizer.json was saved with: padding would add tokens,
    // truncation would hide them, and special tokens are the model's business, not the text's.
    private static final Map<String, String> OPTIONS = Map.of(
            "padding", "false",
            "truncation", "false",
            "addSpecialTokens", "false");

    private final HuggingFaceTokenizer tokenizer;
    private final String name;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private TokenCounter(HuggingFaceTokenizer tokenizer, String name) {
        this.tokenizer = tokenizer;
        this.name = name;
    }

    /**
     * The tokenizer of a model source (its {@code tokenizer.json}; the ONNX model is not loaded).
     *
     * @throws ModelLoadException if the tokenizer cannot be read or is not a Hugging Face tokenizer.json
     */
    public static TokenCounter load(ModelSource source) {
        Objects.requireNonNull(source, "source");
        try (InputStream in = source.openTokenizer()) {
            return create(in.readAllBytes(), source.tokenizerName());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + source.tokenizerName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A {@code tokenizer.json} file.
     *
     * @throws ModelLoadException if the file is missing, unreadable or not a Hugging Face tokenizer.json
     */
    public static TokenCounter load(Path tokenizerJson) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        String name = tokenizerJson.toAbsolutePath().toString();
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new ModelLoadException("tokenizer.json not found: expected a file at " + name);
        }
        try {
            return create(Files.readAllBytes(tokenizerJson), name);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read tokenizer.json at " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * A {@code tokenizer.json} on the classpath of the context class loader (or this class's loader
     * when the thread has none), e.g. {@code "all-minilm-l6-v2-q-tokenizer.json"}.
     *
     * @throws ModelLoadException if no such resource exists or it is not a Hugging Face tokenizer.json
     */
    public static TokenCounter fromResource(String resource) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return fromResource(cl != null ? cl : TokenCounter.class.getClassLoader(), resource);
    }

    /** A {@code tokenizer.json} resource of {@code loader}; see {@link #fromResource(String)}. */
    public static TokenCounter fromResource(ClassLoader loader, String resource) {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(resource, "resource");
        String path = resource.startsWith("/") ? resource.substring(1) : resource;
        String name = "classpath:" + path;
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) {
                throw new ModelLoadException("tokenizer.json not found on the classpath: expected resource '" + path
                        + "' (is the jar that carries it a dependency?)");
            }
            return create(in.readAllBytes(), name);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    private static TokenCounter create(byte[] json, String name) {
        NativeDefaults.apply();
        try {
            return new TokenCounter(HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), OPTIONS), name);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load tokenizer " + name + ": expected a Hugging Face tokenizer.json: "
                    + e.getMessage(), e);
        }
    }

    /** Where the tokenizer came from, as a user would name it in a bug report. */
    public String name() {
        return name;
    }

    /**
     * The number of tokens in {@code text}, without special tokens.
     *
     * @throws IllegalStateException if this counter is closed
     */
    public int count(String text) {
        Objects.requireNonNull(text, "text");
        return encode(text).getIds().length;
    }

    /**
     * Where each token of {@code text} ends, as UTF-16 indices into {@code text}: element {@code k}
     * is the end (exclusive) of token {@code k}, so {@code text.substring(0, offsets[k])} ends with
     * token {@code k}. The array's length is {@link #count(String)}; a fresh array each call.
     *
     * @throws IllegalStateException if this counter is closed
     */
    public int[] offsets(String text) {
        return spans(text).ends;
    }

    /**
     * Start and end of every token of {@code text} in UTF-16 indices; see {@link Spans}.
     *
     * @throws IllegalStateException if this counter is closed
     */
    public Spans spans(String text) {
        Objects.requireNonNull(text, "text");
        CharSpan[] spans = encode(text).getCharTokenSpans();
        CodePointIndex index = new CodePointIndex(text);
        int n = spans.length;
        int[] starts = new int[n];
        int[] ends = new int[n];
        int lastEnd = 0;
        for (int t = 0; t < n; t++) {
            CharSpan s = spans[t];
            // A token with no span (none with these options, but the JNI contract allows it) is
            // placed where the previous one ended, so the arrays stay usable as cut points.
            int start = s == null || s.getStart() < 0 ? lastEnd : index.utf16(s.getStart());
            int end = s == null || s.getEnd() < 0 ? lastEnd : index.utf16(s.getEnd());
            lastEnd = Math.max(lastEnd, end);
            starts[t] = Math.min(start, lastEnd);
            ends[t] = lastEnd;
        }
        return new Spans(starts, ends);
    }

    private Encoding encode(String text) {
        String safe = withoutLoneSurrogates(text);
        ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("token counter " + name + " is closed");
            }
            return tokenizer.encode(safe, false, false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The text with every unpaired surrogate replaced by U+FFFD: one UTF-16 unit and one code point
     * either way, so offsets still line up with the caller's string.
     */
    static String withoutLoneSurrogates(String text) {
        char[] copy = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            if (copy == null) {
                copy = text.toCharArray();
            }
            copy[i] = '\uFFFD';
        }
        return copy == null ? text : new String(copy);
    }

    /** Closes the native tokenizer once calls in flight finish. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            tokenizer.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "TokenCounter{" + name + '}';
    }

    /**
     * The tokens of one text as UTF-16 spans into it. {@link #end(int)} is non-decreasing and
     * {@code start(k) <= end(k)}; {@code start(k) < end(k - 1)} means token {@code k} shares a
     * character with the token before it (byte-level BPE), so no cut between them is clean.
     */
    public static final class Spans {
        private final int[] starts;
        private final int[] ends;

        private Spans(int[] starts, int[] ends) {
            this.starts = starts;
            this.ends = ends;
        }

        /** The number of tokens. */
        public int count() {
            return ends.length;
        }

        /** The UTF-16 index where token {@code token} starts. */
        public int start(int token) {
            return starts[token];
        }

        /** The UTF-16 index where token {@code token} ends, exclusive. */
        public int end(int token) {
            return ends[token];
        }
    }

    /** Code point index to UTF-16 index for one text; no table when the text has no surrogate pairs. */
    private static final class CodePointIndex {
        private final int length;
        private final int[] table;

        CodePointIndex(String text) {
            this.length = text.length();
            int codePoints = text.codePointCount(0, length);
            if (codePoints == length) {
                table = null;
                return;
            }
            table = new int[codePoints + 1];
            int utf16 = 0;
            for (int cp = 0; cp < codePoints; cp++) {
                table[cp] = utf16;
                utf16 += Character.charCount(text.codePointAt(utf16));
            }
            table[codePoints] = length;
        }

        int utf16(int codePoint) {
            if (table == null) {
                return Math.min(codePoint, length);
            }
            return table[Math.min(codePoint, table.length - 1)];
        }
    }
}
