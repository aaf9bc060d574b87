package dev.parapet.train;

import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.PooledEmbedding;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Embeds texts with a frozen encoder through guard-onnx's {@link TextEncoder} (the same code the
 * runtime uses, so training features and runtime features are computed identically), in batches,
 * with progress on stderr.
 *
 * <p>Duplicates are embedded once. Unique texts are sorted by length and handed to the encoder in
 * fixed chunks, so batches pack well and the batch companions of every text (which move a
 * dynamically quantized encoder's output slightly) are the same on every run: results are
 * reproducible for the same texts, encoder, window and thread count.
 */
public final class Embedder implements AutoCloseable {
    /** Texts per {@link TextEncoder#encodeWindows} call; the encoder packs batches of 32 inside. */
    static final int CHUNK = 512;

    private final EncoderSpec spec;
    private final int maxLength;
    private final int threads;
    private final PrintStream progress;
    private final String tap;
    private TextEncoder encoder;
    private long textsEmbedded;
    private long nanosEmbedding;

    /**
     * @param maxLength window in tokens (the runtime encoder must use the same)
     * @param threads   ONNX Runtime intra-op threads
     * @param progress  where progress lines go (stderr in the tools), or {@code null} for none
     */
    public Embedder(EncoderSpec spec, int maxLength, int threads, PrintStream progress) {
        this(spec, maxLength, threads, progress, null);
    }

    /**
     * An embedder of one intermediate encoder output: {@code tap} names a tensor of the encoder graph
     * ({@link TextEncoder.Builder#taps}), pooled in place of the final output (the graph is run only
     * as far as that tensor). The runtime pools the same tensor beside the final output in one run.
     *
     * @param tap the tensor, or {@code null} for the final output
     */
    public Embedder(EncoderSpec spec, int maxLength, int threads, PrintStream progress, String tap) {
        this.tap = tap;
        this.spec = Objects.requireNonNull(spec, "spec");
        if (maxLength < 8) {
            throw new IllegalArgumentException("maxLength must be >= 8 tokens, got " + maxLength);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.maxLength = maxLength;
        this.threads = threads;
        this.progress = progress;
    }

    public EncoderSpec spec() {
        return spec;
    }

    public int maxLength() {
        return maxLength;
    }

    public int threads() {
        return threads;
    }

    /** The intermediate output this embedder pools, or {@code null} for the final output. */
    public String tap() {
        return tap;
    }

    /** Texts embedded by this instance (unique texts, cache hits excluded). */
    public long textsEmbedded() {
        return textsEmbedded;
    }

    /** Wall time spent in the encoder, in seconds. */
    public double secondsEmbedding() {
        return nanosEmbedding / 1e9;
    }

    private TextEncoder encoder() {
        if (encoder == null) {
            // batch of 32 rows: the batch size the encoders were measured with; the token budget keeps long windows in check
            RuntimeOptions options = RuntimeOptions.builder().intraOpThreads(threads).maxBatchSize(32).build();
            TextEncoder.Builder b = TextEncoder.builder(spec.source()).maxLength(maxLength).options(options);
            if (tap != null) {
                b.taps(List.of(tap)).outputName(tap);
            }
            encoder = b.build();
        }
        return encoder;
    }

    /** One embedding per input text, in input order. */
    /** Each text's windows of token ids, as {@link #embed} cuts them ({@link TextEncoder#windowPieces}: tokenizer only). */
    public List<List<int[]>> windowPieces(List<String> texts) {
        return encoder().windowPieces(texts);
    }

    public List<TextEmbedding> embed(List<String> texts, String what) {
        return run(texts, what, maxLength + " tokens", chunk -> {
            List<TextEmbedding> out = new ArrayList<>(chunk.size());
            encoder().encodeWindows(chunk).forEach(e -> out.add(convert(e)));
            return out;
        });
    }

    /**
     * The opening of each text ({@link TextEncoder#encodeOpenings}: its first {@code tokens} tokens
     * encoded on their own), as a one-window {@link TextEmbedding}; duplicates once, length-sorted
     * fixed chunks as in {@link #embed}.
     */
    public List<TextEmbedding> embedOpenings(List<String> texts, String what, int tokens) {
        return run(texts, what, "first " + tokens + " tokens", chunk -> {
            List<TextEmbedding> out = new ArrayList<>(chunk.size());
            encoder().encodeOpenings(chunk, tokens).forEach(e -> out.add(new TextEmbedding(e, List.of(e))));
            return out;
        });
    }

    /** Unique texts, sorted by length, through {@code encode} in fixed chunks, with progress; results in input order. */
    private List<TextEmbedding> run(List<String> texts, String what, String unit,
                                    java.util.function.Function<List<String>, List<TextEmbedding>> encode) {
        Objects.requireNonNull(texts, "texts");
        Map<String, Integer> index = new HashMap<>();
        List<String> unique = new ArrayList<>();
        int[] slot = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            String t = Objects.requireNonNull(texts.get(i), "texts[" + i + "]");
            Integer u = index.get(t);
            if (u == null) {
                u = unique.size();
                index.put(t, u);
                unique.add(t);
            }
            slot[i] = u;
        }
        Integer[] order = new Integer[unique.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.<Integer>comparingInt(i -> unique.get(i).length()).thenComparingInt(i -> i));
        TextEmbedding[] done = new TextEmbedding[unique.size()];
        long start = System.nanoTime();
        long lastReport = start;
        for (int from = 0; from < order.length; from += CHUNK) {
            int to = Math.min(order.length, from + CHUNK);
            List<String> chunk = new ArrayList<>(to - from);
            for (int k = from; k < to; k++) {
                chunk.add(unique.get(order[k]));
            }
            List<TextEmbedding> encoded = encode.apply(chunk);
            for (int k = from; k < to; k++) {
                done[order[k]] = encoded.get(k - from);
            }
            long now = System.nanoTime();
            if (progress != null && (now - lastReport > 10_000_000_000L || to == order.length)) {
                lastReport = now;
                double secs = (now - start) / 1e9;
                double rate = to / Math.max(secs, 1e-9);
                progress.printf(Locale.ROOT, "embed %s [%s, %s]: %,d/%,d texts, %.0f texts/s, %s left%n", what,
                        spec.name() + (tap == null ? "" : " " + Taps.shortName(tap)), unit,
                        to, order.length, rate, duration((order.length - to) / Math.max(rate, 1e-9)));
            }
        }
        nanosEmbedding += System.nanoTime() - start;
        textsEmbedded += unique.size();
        List<TextEmbedding> out = new ArrayList<>(texts.size());
        for (int s : slot) {
            out.add(done[s]);
        }
        return out;
    }

    static TextEmbedding convert(EncodedText e) {
        List<PooledEmbedding> windows = new ArrayList<>(e.windows().size());
        for (EncodedText.WindowEmbedding w : e.windows()) {
            windows.add(w.embedding());
        }
        return new TextEmbedding(e.pooled(), windows);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }

    @Override
    public void close() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
    }
}
