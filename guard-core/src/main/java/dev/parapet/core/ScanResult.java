package dev.parapet.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one scanner concluded about one text. Immutable.
 *
 * <p>Score semantics are the same for every model scanner: {@link #score()} is the model's
 * probability for the flagged class, in [0, 1]; {@link #threshold()} is what it was compared
 * with; {@link #label()} is the label that fired (or scored highest when nothing fired). Rule
 * scanners have no probability and report {@code NaN} for both. {@link #riskScore()} is an LLM
 * Guard-style derived view, offered for migration only.
 */
public final class ScanResult {
    private final String scanner;
    private final Stage stage;
    private final Decision decision;
    private final double score;
    private final double threshold;
    private final String label;
    private final List<Evidence> evidence;
    private final String sanitizedText;
    private final Duration latency;
    private final String errorMessage;
    private final Throwable error;
    private final Map<String, String> attributes;

    private ScanResult(Builder b) {
        this.scanner = Objects.requireNonNull(b.scanner, "scanner");
        this.stage = Objects.requireNonNull(b.stage, "stage");
        this.decision = Objects.requireNonNull(b.decision, "decision");
        this.score = b.score;
        this.threshold = b.threshold;
        this.label = b.label;
        this.evidence = List.copyOf(b.evidence);
        this.sanitizedText = b.sanitizedText;
        this.latency = b.latency == null ? Duration.ZERO : b.latency;
        this.error = b.error;
        this.errorMessage = b.errorMessage != null ? b.errorMessage
                : b.error != null ? messageOf(b.error) : null;
        this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(b.attributes));
    }

    // A bare NullPointerException has no message; its type says more than "null".
    private static String messageOf(Throwable error) {
        String message = error.getMessage();
        return message != null ? message : error.getClass().getName();
    }

    public static Builder builder(String scanner, Stage stage) {
        return new Builder(scanner, stage);
    }

    /** A result for a scanner that failed with {@code error}. */
    public static ScanResult error(String scanner, Stage stage, Throwable error, Duration latency) {
        return builder(scanner, stage).decision(Decision.ERROR).error(error).latency(latency).build();
    }

    /** A result for a scanner the guard did not run because it stopped early. */
    public static ScanResult skipped(String scanner, Stage stage) {
        return builder(scanner, stage).decision(Decision.SKIPPED).build();
    }

    public String scanner() {
        return scanner;
    }

    public Stage stage() {
        return stage;
    }

    public Decision decision() {
        return decision;
    }

    public boolean flagged() {
        return decision == Decision.FLAGGED;
    }

    /** Probability of the flagged class in [0, 1]; {@code NaN} for rule scanners and errors. */
    public double score() {
        return score;
    }

    /** The threshold {@link #score()} was compared with; {@code NaN} where none applies. */
    public double threshold() {
        return threshold;
    }

    /** The label that fired (or the best-scoring flagged label when none fired); may be {@code null}. */
    public String label() {
        return label;
    }

    /** The parts of the text the decision came from, as UTF-16 offsets into the judged string. */
    public List<Evidence> evidence() {
        return evidence;
    }

    /** The rewritten text, or {@code null} when this scanner left the text as it was. */
    public String sanitizedText() {
        return sanitizedText;
    }

    public Duration latency() {
        return latency;
    }

    /** The error's message for {@link Decision#ERROR} results, else {@code null}. */
    public String errorMessage() {
        return errorMessage;
    }

    /** The error for {@link Decision#ERROR} results, else {@code null}. */
    public Throwable error() {
        return error;
    }

    /**
     * Facts about how the result was made, e.g. {@code provider=CPU}, {@code aggregation=max},
     * {@code windows=12}. Keys are stable per scanner.
     */
    public Map<String, String> attributes() {
        return attributes;
    }

    /**
     * LLM Guard's risk score: {@code (s - t) / (1 - t)} above the threshold, {@code (s - t) / t}
     * below it, so 0 sits at the threshold, 1 is certain and -1 is clean. A derived view only;
     * {@code NaN} when there is no score or threshold.
     */
    public double riskScore() {
        if (Double.isNaN(score) || Double.isNaN(threshold)) {
            return Double.NaN;
        }
        if (score >= threshold) {
            return threshold >= 1.0 ? 0.0 : (score - threshold) / (1.0 - threshold);
        }
        return threshold <= 0.0 ? 0.0 : (score - threshold) / threshold;
    }

    /** A copy with another latency (the guard stamps the time it measured). */
    public ScanResult withLatency(Duration latency) {
        return toBuilder().latency(latency).build();
    }

    public Builder toBuilder() {
        Builder b = new Builder(scanner, stage).decision(decision).score(score).threshold(threshold)
                .label(label).sanitizedText(sanitizedText).latency(latency).error(error);
        b.errorMessage = errorMessage;
        b.evidence.addAll(evidence);
        b.attributes.putAll(attributes);
        return b;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(scanner).append('[').append(stage).append("] ").append(decision);
        if (!Double.isNaN(score)) {
            s.append(String.format(java.util.Locale.ROOT, " score=%.4f", score));
        }
        if (!Double.isNaN(threshold)) {
            s.append(String.format(java.util.Locale.ROOT, " threshold=%.4f", threshold));
        }
        if (label != null) {
            s.append(" label=").append(label);
        }
        if (!evidence.isEmpty()) {
            s.append(" evidence=").append(evidence.size());
        }
        if (errorMessage != null) {
            s.append(" error=").append(errorMessage);
        }
        return s.toString();
    }

    /** Builds a {@link ScanResult}; defaults: PASSED, no score, no threshold, no evidence. */
    public static final class Builder {
        private final String scanner;
        private final Stage stage;
        private Decision decision = Decision.PASSED;
        private double score = Double.NaN;
        private double threshold = Double.NaN;
        private String label;
        private final List<Evidence> evidence = new ArrayList<>();
        private String sanitizedText;
        private Duration latency;
        private Throwable error;
        private String errorMessage;
        private final Map<String, String> attributes = new LinkedHashMap<>();

        private Builder(String scanner, Stage stage) {
            this.scanner = Objects.requireNonNull(scanner, "scanner");
            this.stage = Objects.requireNonNull(stage, "stage");
        }

        public Builder decision(Decision decision) {
            this.decision = Objects.requireNonNull(decision, "decision");
            return this;
        }

        public Builder score(double score) {
            if (!Double.isNaN(score) && (score < 0.0 || score > 1.0)) {
                throw new IllegalArgumentException("score must be a probability in [0, 1] or NaN, got " + score);
            }
            this.score = score;
            return this;
        }

        public Builder threshold(double threshold) {
            this.threshold = threshold;
            return this;
        }

        public Builder label(String label) {
            this.label = label;
            return this;
        }

        public Builder evidence(Evidence evidence) {
            this.evidence.add(Objects.requireNonNull(evidence, "evidence"));
            return this;
        }

        public Builder evidence(List<Evidence> evidence) {
            this.evidence.addAll(Objects.requireNonNull(evidence, "evidence"));
            return this;
        }

        public Builder sanitizedText(String sanitizedText) {
            this.sanitizedText = sanitizedText;
            return this;
        }

        public Builder latency(Duration latency) {
            this.latency = latency;
            return this;
        }

        public Builder error(Throwable error) {
            this.error = error;
            return this;
        }

        public Builder errorMessage(String errorMessage) {
            this.errorMessage = errorMessage;
            return this;
        }

        public Builder attribute(String key, String value) {
            this.attributes.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public ScanResult build() {
            return new ScanResult(this);
        }
    }
}
