package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.EncodedText;
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
 * cut: one bad window is enough); the evidence lists the windows at or above the threshold, or the
 * best window when none is. Blank texts are not scored (PASSED, {@code NaN} score, attribute
 * {@code blank=true}). Thread-safe; {@link #close()} releases this scanner's hold on the encoder
 * and is idempotent.
 */
public final class HeadScanner implements Scanner {
    private final String name;
    private final EmbeddingHead head;
    private final SharedTextEncoder encoder;
    private final double threshold;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HeadScanner(Builder b) {
        this.name = b.name;
        this.head = b.head;
        this.threshold = Double.isNaN(b.threshold) ? b.head.threshold() : b.threshold;
        if (head.input() != EmbeddingHead.Input.TEXT || head.task() != EmbeddingHead.Task.BINARY) {
            throw new IllegalArgumentException("head '" + head.name() + "' is a " + head.task() + " head on " + head.input()
                    + "; HeadScanner needs a BINARY head on TEXT");
        }
        if (b.encoder.encoder().maxLength() != head.maxLength()) {
            throw new IllegalArgumentException("head '" + head.name() + "' was trained on windows of " + head.maxLength()
                    + " tokens but the encoder uses " + b.encoder.encoder().maxLength());
        }
        this.encoder = b.encoder.retain();
    }

    public static Builder builder(String name, EmbeddingHead head, SharedTextEncoder encoder) {
        return new Builder(name, head, encoder);
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
        List<String> texts = new ArrayList<>();
        for (ScanInput in : inputs) {
            if (!in.text().isBlank()) {
                texts.add(in.text());
            }
        }
        List<EncodedText> encoded;
        try {
            encoded = texts.isEmpty() ? List.of() : encoder.encode(texts);
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
        for (ScanInput in : inputs) {
            if (in.text().isBlank()) {
                results.add(ScanResult.builder(name, in.stage()).threshold(threshold).latency(latency).attribute("blank", "true").build());
            } else {
                results.add(toResult(in, encoded.get(next++), latency));
            }
        }
        return results;
    }

    private ScanResult toResult(ScanInput in, EncodedText text, Duration latency) {
        List<EncodedText.WindowEmbedding> windows = text.windows();
        double[] scores = new double[windows.size()];
        int best = 0;
        for (int i = 0; i < scores.length; i++) {
            scores[i] = clamp(head.probability(windows.get(i).embedding()));
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        boolean fired = scores[best] >= threshold;
        ScanResult.Builder r = ScanResult.builder(name, in.stage())
                .decision(fired ? Decision.FLAGGED : Decision.PASSED)
                .score(scores[best])
                .threshold(threshold)
                .label(head.flaggedLabel())
                .latency(latency)
                .attribute("provider", encoder.encoder().provider().toString())
                .attribute("windows", Integer.toString(windows.size()))
                .attribute("aggregation", "max")
                .attribute("model", head.name() + "@" + head.encoderName());
        for (int i = 0; i < scores.length; i++) {
            if ((fired && scores[i] >= threshold) || (!fired && i == best)) {
                EncodedText.WindowEmbedding w = windows.get(i);
                r.evidence(new Evidence(w.start(), w.end(), head.flaggedLabel(), scores[i], "window " + (w.index() + 1) + " of " + windows.size()));
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

        public HeadScanner build() {
            return new HeadScanner(this);
        }
    }
}
