package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.onnx.Classification;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SequenceClassifier;
import dev.parapet.onnx.WindowScore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A detector over any Hugging Face-layout ONNX sequence classifier: it flags a text when the
 * probability of any of the chosen labels reaches the threshold.
 *
 * <p>The result's {@link ScanResult#score()} is the highest probability among the flagged labels
 * (after aggregating windows, max by default), {@link ScanResult#label()} the label that reached
 * it, and the evidence the windows where a flagged label reached the threshold (or, when nothing
 * fired, the single best window) as UTF-16 spans of the judged text. Attributes: {@code provider},
 * {@code windows}, {@code aggregation}, {@code model}.
 *
 * <p>A blank text (empty or whitespace only) is not sent to the model, whose answer on nothing is
 * noise: its result is {@link Decision#PASSED} with a {@code NaN} score and the attribute
 * {@code blank=true}.
 *
 * <p>{@link #scanAll} scores every input in one classifier call, so a batch of exchanges costs as
 * few ONNX runs as the batch budget allows. Thread-safe; {@link #close()} closes the classifier
 * and is idempotent.
 */
public final class ClassifierScanner implements Scanner {
    private final String name;
    private final SequenceClassifier classifier;
    private final Set<String> flaggedLabels;
    private final int[] flaggedIndices;
    private final double threshold;
    private final TextInput input;
    private final MatchMode matchMode;

    private ClassifierScanner(Builder b, SequenceClassifier classifier) {
        this.matchMode = b.matchMode;
        this.name = b.name;
        this.classifier = classifier;
        this.threshold = b.threshold;
        this.input = b.input;
        List<String> labels = classifier.labels();
        Set<String> flagged = b.flaggedLabels.isEmpty() ? defaultFlagged(labels) : b.flaggedLabels;
        this.flaggedLabels = Set.copyOf(flagged);
        this.flaggedIndices = new int[flagged.size()];
        int i = 0;
        for (String label : flagged) {
            int idx = labels.indexOf(label);
            if (idx < 0) {
                classifier.close();
                throw new IllegalArgumentException("flaggedLabels: '" + label + "' is not a label of " + classifier.source().modelName()
                        + "; its labels are " + labels);
            }
            flaggedIndices[i++] = idx;
        }
    }

    /** With no explicit choice, a binary model flags its second label (Hugging Face's positive class). */
    private static Set<String> defaultFlagged(List<String> labels) {
        if (labels.size() == 2) {
            return Set.of(labels.get(1));
        }
        throw new IllegalArgumentException("flaggedLabels must be chosen for a model with " + labels.size() + " labels " + labels);
    }

    public static Builder builder(String name, ModelSource source) {
        return new Builder(name, source);
    }

    @Override
    public String name() {
        return name;
    }

    public double threshold() {
        return threshold;
    }

    public Set<String> flaggedLabels() {
        return flaggedLabels;
    }

    public TextInput input() {
        return input;
    }

    /** The classifier behind this scanner (closed with it). */
    public SequenceClassifier classifier() {
        return classifier;
    }

    @Override
    public ScanResult scan(ScanInput scanInput) {
        Objects.requireNonNull(scanInput, "input");
        return scanAll(List.of(scanInput)).get(0);
    }

    @Override
    public List<ScanResult> scanAll(List<ScanInput> inputs) {
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.isEmpty()) {
            return List.of();
        }
        long start = System.nanoTime();
        List<ScanInput> scored = new ArrayList<>(inputs.size());
        for (ScanInput in : inputs) {
            if (!in.text().isBlank()) {
                scored.add(in);
            }
        }
        List<Classification> classifications;
        try {
            classifications = scored.isEmpty() ? List.of() : classify(scored);
        } catch (RuntimeException e) {
            Duration latency = Duration.ofNanos(System.nanoTime() - start);
            List<ScanResult> errors = new ArrayList<>(inputs.size());
            for (ScanInput in : inputs) {
                errors.add(ScanResult.error(name, in.stage(), e, latency));
            }
            return errors;
        }
        // One classifier call served every input: each result carries its share of the time.
        Duration latency = Duration.ofNanos((System.nanoTime() - start) / inputs.size());
        List<ScanResult> results = new ArrayList<>(inputs.size());
        int next = 0;
        for (ScanInput in : inputs) {
            if (in.text().isBlank()) {
                results.add(ScanResult.builder(name, in.stage()).decision(Decision.PASSED).threshold(threshold)
                        .latency(latency).attribute("blank", "true").build());
            } else {
                results.add(toResult(in.stage(), classifications.get(next++), latency));
            }
        }
        return results;
    }

    private List<Classification> classify(List<ScanInput> inputs) {
        if (input == TextInput.PAIR) {
            List<String> firsts = new ArrayList<>(inputs.size());
            List<String> seconds = new ArrayList<>(inputs.size());
            for (ScanInput in : inputs) {
                if (in.stage() != Stage.OUTPUT) {
                    throw new IllegalStateException("scanner '" + name + "' reads (prompt, output) pairs and can only run on outputs");
                }
                firsts.add(in.prompt());
                seconds.add(in.output());
            }
            return classifier.classifyPairs(firsts, seconds);
        }
        if (matchMode == MatchMode.SENTENCES) {
            return bySentence(inputs);
        }
        List<String> texts = new ArrayList<>(inputs.size());
        for (ScanInput in : inputs) {
            texts.add(in.text());
        }
        return classifier.classifyAll(texts);
    }

    /**
     * Every sentence of every input in one classifier call; each input's classification then has
     * one window per sentence window, with spans moved into the input's coordinates.
     */
    private List<Classification> bySentence(List<ScanInput> inputs) {
        List<List<Sentences.Span>> spans = new ArrayList<>(inputs.size());
        List<String> sentences = new ArrayList<>();
        for (ScanInput in : inputs) {
            List<Sentences.Span> s = Sentences.split(in.text());
            spans.add(s);
            for (Sentences.Span sp : s) {
                sentences.add(in.text().substring(sp.start(), sp.end()));
            }
        }
        List<Classification> perSentence = classifier.classifyAll(sentences);
        List<Classification> out = new ArrayList<>(inputs.size());
        int next = 0;
        for (List<Sentences.Span> s : spans) {
            List<WindowScore> windows = new ArrayList<>();
            for (Sentences.Span sp : s) {
                for (WindowScore w : perSentence.get(next++).windows()) {
                    windows.add(new WindowScore(windows.size(), sp.start() + w.start(), sp.start() + w.end(), w.probabilities()));
                }
            }
            out.add(Classification.of(classifier.labels(), windows, classifier.aggregation()));
        }
        return out;
    }

    private ScanResult toResult(Stage stage, Classification c, Duration latency) {
        int best = flaggedIndices[0];
        for (int idx : flaggedIndices) {
            if (c.probability(idx) > c.probability(best)) {
                best = idx;
            }
        }
        String label = c.labels().get(best);
        double score = clamp(c.probability(best));
        boolean fired = score >= threshold;
        ScanResult.Builder r = ScanResult.builder(name, stage)
                .decision(fired ? Decision.FLAGGED : Decision.PASSED)
                .score(score)
                .threshold(threshold)
                .label(label)
                .latency(latency)
                .attribute("provider", classifier.provider().toString())
                .attribute("windows", Integer.toString(c.windows().size()))
                .attribute("aggregation", c.aggregation().name().toLowerCase(Locale.ROOT))
                .attribute("match", matchMode.name().toLowerCase(Locale.ROOT))
                .attribute("model", classifier.source().modelName());
        int n = c.windows().size();
        if (fired) {
            for (WindowScore w : c.windows()) {
                float[] probs = w.probabilities();
                for (int idx : flaggedIndices) {
                    double p = probs[idx];
                    if (p >= threshold) {
                        r.evidence(new Evidence(w.start(), w.end(), c.labels().get(idx), clamp(p), "window " + (w.index() + 1) + " of " + n));
                    }
                }
            }
        } else {
            WindowScore w = c.winningWindow(label);
            r.evidence(new Evidence(w.start(), w.end(), label, clamp(w.probabilities()[best]), "window " + (w.index() + 1) + " of " + n));
        }
        return r.build();
    }

    private static double clamp(double p) {
        return Math.max(0.0, Math.min(1.0, p));
    }

    @Override
    public void close() {
        classifier.close();
    }

    @Override
    public String toString() {
        return "ClassifierScanner{" + name + ", labels=" + flaggedLabels + ", threshold=" + threshold + ", input=" + input + '}';
    }

    /** Settings for a {@link ClassifierScanner}; each setter validates at once. */
    public static final class Builder {
        private final String name;
        private final ModelSource source;
        private final SequenceClassifier.Builder classifier;
        private final Set<String> flaggedLabels = new LinkedHashSet<>();
        private double threshold = 0.5;
        private TextInput input = TextInput.TEXT;
        private MatchMode matchMode = MatchMode.WINDOWS;

        private Builder(String name, ModelSource source) {
            this.name = Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.source = Objects.requireNonNull(source, "source");
            this.classifier = SequenceClassifier.builder(source);
        }

        /** Labels whose probability is compared with the threshold (default: the second label of a binary model). */
        public Builder flaggedLabels(String... labels) {
            Objects.requireNonNull(labels, "labels");
            flaggedLabels.clear();
            for (String l : labels) {
                flaggedLabels.add(Objects.requireNonNull(l, "label"));
            }
            if (flaggedLabels.isEmpty()) {
                throw new IllegalArgumentException("flaggedLabels needs at least one label");
            }
            return this;
        }

        /** Probability at or above which the scanner flags, in (0, 1]. Default 0.5. */
        public Builder threshold(double threshold) {
            if (!(threshold > 0.0 && threshold <= 1.0)) {
                throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        public Builder input(TextInput input) {
            this.input = Objects.requireNonNull(input, "input");
            return this;
        }

        /** Windows (default) or sentence by sentence; pairs are always windowed. */
        public Builder matchMode(MatchMode matchMode) {
            this.matchMode = Objects.requireNonNull(matchMode, "matchMode");
            return this;
        }

        /** Overrides config.json's problem_type (e.g. force sigmoid, as LLM Guard does for toxicity). */
        public Builder problemType(dev.parapet.onnx.ProblemType problemType) {
            classifier.problemType(problemType);
            return this;
        }

        public Builder options(RuntimeOptions options) {
            classifier.options(options);
            return this;
        }

        /** Tokens per window (default: the model's). */
        public Builder maxLength(int tokens) {
            classifier.maxLength(tokens);
            return this;
        }

        public Builder stride(int tokens) {
            classifier.stride(tokens);
            return this;
        }

        public Builder aggregation(dev.parapet.onnx.Aggregation aggregation) {
            classifier.aggregation(aggregation);
            return this;
        }

        /** Loads the model now; a missing or corrupt file fails here. */
        public ClassifierScanner build() {
            return new ClassifierScanner(this, classifier.build());
        }
    }
}
