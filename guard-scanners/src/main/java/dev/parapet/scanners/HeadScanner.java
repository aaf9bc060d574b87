package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ModelLoadException;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.PooledEmbedding;
import dev.parapet.onnx.SharedTextEncoder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A detector made of a trained {@link EmbeddingHead} on a shared text encoder: the default
 * toxicity and refusal scanners are two of these on one encoder, so one guard call encodes each
 * text once however many heads read it.
 *
 * <p>Each window of the text is scored and the highest probability decides (a long text is never
 * cut: one bad window is enough). Windows are the shared encoder's, at most as long as the texts
 * the head was trained on; short windows keep one bad sentence from being averaged away in a long
 * benign text (or use {@link MatchMode#SENTENCES}); the evidence lists the windows at or above the threshold, or the
 * best window when none is. Blank texts are not scored (PASSED, {@code NaN} score, attribute
 * {@code blank=true}). Thread-safe; {@link #close()} releases this scanner's hold on the encoder
 * and is idempotent.
 */
public final class HeadScanner implements Scanner {
    private final String name;
    private final EmbeddingHead head;
    private final SharedTextEncoder encoder;
    private final double threshold;
    private final MatchMode matchMode;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HeadScanner(Builder b) {
        this.name = b.name;
        this.head = b.head;
        this.threshold = Double.isNaN(b.threshold) ? b.head.threshold() : b.threshold;
        this.matchMode = b.matchMode;
        if (head.input() != EmbeddingHead.Input.TEXT || head.task() != EmbeddingHead.Task.BINARY) {
            throw new IllegalArgumentException("head '" + head.name() + "' is a " + head.task() + " head on " + head.input()
                    + "; HeadScanner needs a BINARY head on TEXT");
        }
        checkFits(name, head, b.encoder);
        if (b.encoder.encoder().maxLength() > head.maxLength()) {
            throw new IllegalArgumentException("head '" + head.name() + "' was trained on texts of at most " + head.maxLength()
                    + " tokens but the encoder's windows are " + b.encoder.encoder().maxLength() + " tokens; use windows no longer than that");
        }
        this.encoder = b.encoder.retain();
    }

    public static Builder builder(String name, EmbeddingHead head, SharedTextEncoder encoder) {
        return new Builder(name, head, encoder);
    }

    /**
     * Fails the build, not every scan, when {@code head} cannot read what {@code encoder} gives:
     * the head's first layer must take the encoder's dimension times the poolings it reads (times
     * its pair features for a {@link EmbeddingHead.Input#PAIR PAIR} head), plus its lexicon's size, the layout of
     * {@link EmbeddingHead#textFeatures} and {@link EmbeddingHead#pairFeatures}.
     */
    static void checkFits(String scanner, EmbeddingHead head, SharedTextEncoder encoder) {
        int dimension = encoder.encoder().dimension();
        int poolings = head.poolings().size();
        int pairs = head.input() == EmbeddingHead.Input.PAIR ? head.pairFeatureList().size() : 1;
        int opening = head.openingPoolings().size();
        int outputs = 1 + head.taps().size();
        int lexicon = head.lexicon().length;
        long expected = (long) dimension * (poolings + opening) * outputs * pairs + lexicon;
        if (!encoder.encoder().taps().containsAll(head.taps())) {
            throw new ModelLoadException("head '" + head.name() + "' (scanner '" + scanner + "') reads the encoder's intermediate outputs "
                    + head.taps() + " but the encoder was built with taps " + encoder.encoder().taps() + " (TextEncoder.Builder.taps)");
        }
        if (head.openingTokens() > encoder.encoder().maxLength()) {
            throw new ModelLoadException("head '" + head.name() + "' (scanner '" + scanner + "') reads the first " + head.openingTokens()
                    + " tokens of a text but the encoder's windows are " + encoder.encoder().maxLength() + " tokens");
        }
        if (head.inputSize() != expected) {
            String layout = dimension + " x " + poolings + " pooling" + (poolings == 1 ? "" : "s") + " " + head.poolings()
                    + (head.input() == EmbeddingHead.Input.PAIR ? " x " + pairs + " pair features " + head.pairFeatureList() : "")
                    + (opening > 0 ? " + " + opening + " opening pooling" + (opening == 1 ? "" : "s") + " " + head.openingPoolings() : "")
                    + (outputs > 1 ? ", each of " + outputs + " encoder outputs" : "")
                    + (lexicon > 0 ? " + a lexicon of " + lexicon + " word pieces" : "");
            throw new ModelLoadException("head '" + head.name() + "' (scanner '" + scanner + "', trained on " + head.encoderName()
                    + ") takes " + head.inputSize() + " features but encoder " + encoder.encoder().source().modelName() + " gives "
                    + expected + " (" + layout + "); use the encoder the head was trained on");
        }
    }

    @Override
    public String name() {
        return name;
    }

    public double threshold() {
        return threshold;
    }

    public EmbeddingHead head() {
        return head;
    }

    public MatchMode matchMode() {
        return matchMode;
    }

    /**
     * Puts the text this scanner will judge into the shared encoder's cache, so that the guard can
     * have the prompt and the output encoded on two threads at once (see {@link Scanner#prefetch}).
     * Only in {@link MatchMode#WINDOWS} and for texts the cache keeps.
     */
    @Override
    public void prefetch(ScanInput input) {
        String text = input.text();
        if (matchMode == MatchMode.WINDOWS && !closed.get() && !text.isBlank() && text.length() <= SharedTextEncoder.MAX_MEMO_CHARS) {
            encoder.encode(text);
        }
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        return scanAll(List.of(input)).get(0);
    }

    @Override
    public List<ScanResult> scanAll(List<ScanInput> inputs) {
        Objects.requireNonNull(inputs, "inputs");
        if (closed.get()) {
            throw new IllegalStateException("scanner '" + name + "' is closed");
        }
        long start = System.nanoTime();
        // Each input becomes one or more parts (the whole text, or its sentences); every part of
        // every input goes to the encoder in one call.
        List<List<Sentences.Span>> parts = new ArrayList<>(inputs.size());
        List<String> texts = new ArrayList<>();
        for (ScanInput in : inputs) {
            String text = in.text();
            List<Sentences.Span> spans = text.isBlank() ? List.of()
                    : matchMode == MatchMode.SENTENCES ? Sentences.split(text) : List.of(new Sentences.Span(0, text.length()));
            parts.add(spans);
            for (Sentences.Span sp : spans) {
                texts.add(text.substring(sp.start(), sp.end()));
            }
        }
        List<EncodedText> encoded;
        List<PooledEmbedding> openings = null;
        try {
            encoded = texts.isEmpty() ? List.of() : encoder.encode(texts);
            if (head.openingTokens() > 0 && !texts.isEmpty()) {
                openings = openings(inputs, parts, encoded);
            }
        } catch (RuntimeException e) {
            Duration latency = Duration.ofNanos(System.nanoTime() - start);
            List<ScanResult> errors = new ArrayList<>(inputs.size());
            for (ScanInput in : inputs) {
                errors.add(ScanResult.error(name, in.stage(), e, latency));
            }
            return errors;
        }
        Duration latency = Duration.ofNanos((System.nanoTime() - start) / Math.max(1, inputs.size()));
        List<ScanResult> results = new ArrayList<>(inputs.size());
        int next = 0;
        for (int i = 0; i < inputs.size(); i++) {
            ScanInput in = inputs.get(i);
            List<Sentences.Span> spans = parts.get(i);
            if (spans.isEmpty()) {
                results.add(ScanResult.builder(name, in.stage()).threshold(threshold).latency(latency).attribute("blank", "true").build());
                continue;
            }
            List<Scored> scored = new ArrayList<>();
            PooledEmbedding opening = openings == null ? null : openings.get(i);
            for (Sentences.Span sp : spans) {
                EncodedText part = encoded.get(next++);
                for (EncodedText.WindowEmbedding w : part.windows()) {
                    double p = opening == null ? head.probability(w.embedding()) : head.probability(w.embedding(), opening);
                    scored.add(new Scored(sp.start() + w.start(), sp.start() + w.end(), clamp(p)));
                }
            }
            results.add(toResult(in, scored, latency));
        }
        return results;
    }

    /**
     * The opening of each input's whole text (its first words, in {@link MatchMode#SENTENCES} too);
     * {@code null} for blank inputs. A text encoded as one whole part reuses that encoding when short.
     */
    private List<PooledEmbedding> openings(List<ScanInput> inputs, List<List<Sentences.Span>> parts, List<EncodedText> encoded) {
        List<String> texts = new ArrayList<>();
        List<EncodedText> known = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < inputs.size(); i++) {
            List<Sentences.Span> spans = parts.get(i);
            if (spans.isEmpty()) {
                continue;
            }
            String text = inputs.get(i).text();
            boolean whole = spans.size() == 1 && spans.get(0).start() == 0 && spans.get(0).end() == text.length();
            texts.add(text);
            known.add(whole ? encoded.get(next) : null);
            owner.add(i);
            next += spans.size();
        }
        List<PooledEmbedding> got = encoder.openings(texts, known, head.openingTokens());
        List<PooledEmbedding> out = new ArrayList<>(java.util.Collections.nCopies(inputs.size(), (PooledEmbedding) null));
        for (int k = 0; k < got.size(); k++) {
            out.set(owner.get(k), got.get(k));
        }
        return out;
    }

    /** One scored piece of the text: a window, or a window of a sentence. */
    private record Scored(int start, int end, double score) {
    }

    private ScanResult toResult(ScanInput in, List<Scored> scored, Duration latency) {
        int best = 0;
        for (int i = 1; i < scored.size(); i++) {
            if (scored.get(i).score() > scored.get(best).score()) {
                best = i;
            }
        }
        boolean fired = scored.get(best).score() >= threshold;
        String unit = matchMode == MatchMode.SENTENCES ? "part" : "window";
        ScanResult.Builder r = ScanResult.builder(name, in.stage())
                .decision(fired ? Decision.FLAGGED : Decision.PASSED)
                .score(scored.get(best).score())
                .threshold(threshold)
                .label(head.flaggedLabel())
                .latency(latency)
                .attribute("provider", encoder.encoder().provider().toString())
                .attribute("match", matchMode.name().toLowerCase(java.util.Locale.ROOT))
                .attribute("windows", Integer.toString(scored.size()))
                .attribute("aggregation", "max")
                .attribute("model", head.name() + "@" + head.encoderName());
        for (int i = 0; i < scored.size(); i++) {
            Scored s = scored.get(i);
            if ((fired && s.score() >= threshold) || (!fired && i == best)) {
                r.evidence(new Evidence(s.start(), s.end(), head.flaggedLabel(), s.score(), unit + " " + (i + 1) + " of " + scored.size()));
            }
        }
        return r.build();
    }

    static double clamp(double p) {
        return Double.isNaN(p) ? p : Math.max(0.0, Math.min(1.0, p));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            encoder.close();
        }
    }

    @Override
    public String toString() {
        return "HeadScanner{" + name + ", head=" + head.name() + ", threshold=" + threshold + '}';
    }

    /** Settings for a {@link HeadScanner}. */
    public static final class Builder {
        private final String name;
        private final EmbeddingHead head;
        private final SharedTextEncoder encoder;
        private double threshold = Double.NaN;
        private MatchMode matchMode = MatchMode.WINDOWS;

        private Builder(String name, EmbeddingHead head, SharedTextEncoder encoder) {
            this.name = Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.head = Objects.requireNonNull(head, "head");
            this.encoder = Objects.requireNonNull(encoder, "encoder");
        }

        /** Probability at or above which the scanner flags, in (0, 1]; default: the head's trained threshold. */
        public Builder threshold(double threshold) {
            if (!(threshold > 0.0 && threshold <= 1.0)) {
                throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        /** Windows (default) or sentence by sentence. */
        public Builder matchMode(MatchMode matchMode) {
            this.matchMode = Objects.requireNonNull(matchMode, "matchMode");
            return this;
        }

        /**
         * The scanner, holding its own reference to the encoder.
         *
         * @throws dev.parapet.core.ModelLoadException if the head's input size is not the encoder's
         *                                             dimension times the head's poolings, naming
         *                                             the head and both sizes
         * @throws IllegalArgumentException            if the head is of the wrong kind, or was
         *                                             trained on shorter windows than the encoder's
         */
        public HeadScanner build() {
            return new HeadScanner(this);
        }
    }
}
