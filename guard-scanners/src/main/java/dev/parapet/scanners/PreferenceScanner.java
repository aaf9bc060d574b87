package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.SharedTextEncoder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How good a response is for its prompt: a reward head on (prompt, response) embeddings from the
 * shared encoder, with a minimum to pass, and {@link #rank} for best-of-n selection.
 *
 * <p>Scores keep the guard's one contract (the probability of the flagged condition): the flagged
 * condition here is "dispreferred", so {@link ScanResult#score()} is {@code 1 - preference} and
 * {@link ScanResult#threshold()} is {@code 1 - minPreference}. The preference itself (the
 * calibrated chance this response beats a typical one) is in the attribute {@code preference}, the
 * raw reward in {@code reward}. Long texts are judged whole: mean and CLS averaged over windows.
 * Only output-stage inputs are meaningful; a prompt-stage input is an ERROR result.
 *
 * <p>A blank response (empty or white space only) is never sent to the encoder: a reward head has never
 * seen an empty text and would give it whatever it makes of {@code [CLS][SEP]} (the shipped head rated
 * {@code ""} above most real answers). {@link #scan} does not judge it, as no model scanner judges
 * blank text: {@code PASSED}, score {@code NaN}, attribute {@code blank=true} (an answer that is only
 * tool calls has no text, and a guard must not block it). For choosing, a blank response answers
 * nothing: {@link #preference} returns {@code 0} and {@link #rank} puts it last.
 *
 * <p>A blank prompt leaves nothing to judge the response against: the head was trained on prompts
 * and rates answers to {@code ""} at random (the shipped head flagged "The capital of France is
 * Paris." at 0.26). {@link #scan} does not judge such a pair either: {@code PASSED}, score
 * {@code NaN}, attribute {@code blank_prompt=true}. {@link #preference} and {@link #rank} still
 * compute what they are asked, for a caller comparing answers to the same prompt.
 */
public final class PreferenceScanner implements Scanner {
    public static final String LABEL = "dispreferred";

    private final String name;
    private final EmbeddingHead head;
    private final SharedTextEncoder encoder;
    private final double minPreference;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** One candidate of {@link #rank}: its position in the input, text and preference. */
    public record Ranked(int index, String response, double preference) {
    }

    private PreferenceScanner(Builder b) {
        this.name = b.name;
        this.head = b.head;
        this.minPreference = Double.isNaN(b.minPreference) ? b.head.threshold() : b.minPreference;
        if (head.input() != EmbeddingHead.Input.PAIR || head.task() != EmbeddingHead.Task.REWARD) {
            throw new IllegalArgumentException("head '" + head.name() + "' is a " + head.task() + " head on " + head.input()
                    + "; PreferenceScanner needs a REWARD head on PAIR");
        }
        HeadScanner.checkFits(name, head, b.encoder);
        if (b.encoder.encoder().maxLength() > head.maxLength()) {
            throw new IllegalArgumentException("head '" + head.name() + "' was trained on texts of at most " + head.maxLength()
                    + " tokens but the encoder's windows are " + b.encoder.encoder().maxLength() + " tokens; use windows no longer than that");
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

    public double minPreference() {
        return minPreference;
    }

    /** The preference of {@code response} for {@code prompt}, in (0, 1). */
    public double preference(String prompt, String response) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(response, "response");
        checkOpen();
        if (response.isBlank()) {
            return 0.0;
        }
        List<EncodedText> e = encoder.encode(List.of(prompt, response));
        return head.probability(e.get(0).pooled(), e.get(1).pooled());
    }

    /** The candidates ordered best first (ties keep input order); one encoder call for all of them. */
    public List<Ranked> rank(String prompt, List<String> candidates) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(candidates, "candidates");
        checkOpen();
        List<String> texts = new ArrayList<>(candidates.size() + 1);
        texts.add(prompt);
        for (int i = 0; i < candidates.size(); i++) {
            String c = Objects.requireNonNull(candidates.get(i), "candidates[" + i + "]");
            if (!c.isBlank()) {
                texts.add(c);
            }
        }
        List<EncodedText> e = texts.size() > 1 ? encoder.encode(texts) : List.of();
        List<Ranked> ranked = new ArrayList<>(candidates.size());
        int next = 1;
        for (int i = 0; i < candidates.size(); i++) {
            String c = candidates.get(i);
            ranked.add(new Ranked(i, c, c.isBlank() ? 0.0 : head.probability(e.get(0).pooled(), e.get(next++).pooled())));
        }
        ranked.sort(Comparator.comparingDouble(Ranked::preference).reversed());
        return ranked;
    }

    /** Puts the output (and the prompt) into the shared encoder's cache ahead of the stage; see {@link Scanner#prefetch}. */
    @Override
    public void prefetch(ScanInput input) {
        if (input.stage() != Stage.OUTPUT || closed.get()) {
            return;
        }
        List<String> texts = new ArrayList<>(2);
        for (String t : new String[]{input.output(), input.prompt()}) {
            if (!t.isBlank() && t.length() <= SharedTextEncoder.MAX_MEMO_CHARS) {
                texts.add(t);
            }
        }
        if (!texts.isEmpty()) {
            encoder.encode(texts);
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
        checkOpen();
        long start = System.nanoTime();
        List<String> texts = new ArrayList<>(2 * inputs.size());
        for (ScanInput in : inputs) {
            if (in.stage() == Stage.OUTPUT && !in.output().isBlank() && !in.prompt().isBlank()) {
                texts.add(in.prompt());
                texts.add(in.output());
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
            if (in.stage() != Stage.OUTPUT) {
                results.add(ScanResult.builder(name, in.stage()).decision(Decision.ERROR).latency(latency)
                        .errorMessage("scanner '" + name + "' judges (prompt, output) pairs and can only run on outputs").build());
                continue;
            }
            double threshold = 1.0 - minPreference;
            if (in.output().isBlank()) {
                // not judged, as every model scanner treats blank text (documented above)
                results.add(ScanResult.builder(name, in.stage()).threshold(threshold).latency(latency)
                        .attribute("blank", "true").build());
                continue;
            }
            if (in.prompt().isBlank()) {
                // nothing to judge the response against (documented above)
                results.add(ScanResult.builder(name, in.stage()).threshold(threshold).latency(latency)
                        .attribute("blank_prompt", "true").build());
                continue;
            }
            EncodedText prompt = encoded.get(next++);
            EncodedText output = encoded.get(next++);
            double preference = head.probability(prompt.pooled(), output.pooled());
            double reward = head.score(head.pairFeatures(prompt.pooled(), output.pooled()));
            double score = HeadScanner.clamp(1.0 - preference);
            results.add(ScanResult.builder(name, in.stage())
                    .decision(score >= threshold ? Decision.FLAGGED : Decision.PASSED)
                    .score(score)
                    .threshold(threshold)
                    .label(LABEL)
                    .latency(latency)
                    .evidence(new Evidence(0, in.output().length(), LABEL, score, "whole response"))
                    .attribute("preference", String.format(Locale.ROOT, "%.6f", preference))
                    .attribute("reward", String.format(Locale.ROOT, "%.6f", reward))
                    .attribute("provider", encoder.encoder().provider().toString())
                    .attribute("model", head.name() + "@" + head.encoderName())
                    .build());
        }
        return results;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("scanner '" + name + "' is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            encoder.close();
        }
    }

    /** Settings for a {@link PreferenceScanner}. */
    public static final class Builder {
        private final String name;
        private final EmbeddingHead head;
        private final SharedTextEncoder encoder;
        private double minPreference = Double.NaN;

        private Builder(String name, EmbeddingHead head, SharedTextEncoder encoder) {
            this.name = Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.head = Objects.requireNonNull(head, "head");
            this.encoder = Objects.requireNonNull(encoder, "encoder");
        }

        /** Preference below which a response is flagged, in [0, 1); default: the head's trained threshold. */
        public Builder minPreference(double minPreference) {
            if (!(minPreference >= 0.0 && minPreference < 1.0)) {
                throw new IllegalArgumentException("minPreference must be in [0, 1), got " + minPreference);
            }
            this.minPreference = minPreference;
            return this;
        }

        /**
         * The scanner, holding its own reference to the encoder.
         *
         * @throws dev.parapet.core.ModelLoadException if the head's input size is not the encoder's
         *                                             dimension times the head's poolings (times its pair features), naming
         *                                             the head and both sizes
         * @throws IllegalArgumentException            if the head is of the wrong kind, or was
         *                                             trained on shorter windows than the encoder's
         */
        public PreferenceScanner build() {
            return new PreferenceScanner(this);
        }
    }
}
