package dev.parapet.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.langchain4j.model.chat.ChatModel;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.langchain4j.LlmJudgeScanner;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.scanners.ClassifierScanner;
import dev.parapet.scanners.GuardConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One thing {@code eval} scores: a scanner, where its texts go, and what to close afterwards.
 *
 * @param name        the column or row name in reports
 * @param description one line on what it is (model, threshold source)
 * @param stage       the stage toxicity texts are given on (refusal and preference are always outputs)
 * @param concurrency calls in flight at once (judges: HTTP calls; models batch instead)
 * @param judge       scores are a judge's 0/1, not probabilities
 */
record EvalCandidate(String name, String description, Scanner scanner, Stage stage, int concurrency, boolean judge,
                     AutoCloseable resources) implements AutoCloseable {

    /** What reports say about a candidate, kept after it is closed. */
    record Info(String name, String description, boolean judge) {
    }

    Info info() {
        return new Info(name, description, judge);
    }

    /** The scanner inputs for a judged text ({@code prompt} may be {@code null}). */
    ScanInput input(Task task, String prompt, String text) {
        if (task == Task.TOXICITY && stage == Stage.PROMPT) {
            return ScanInput.prompt(text);
        }
        return ScanInput.output(prompt == null ? "" : prompt, text);
    }

    @Override
    public void close() {
        try {
            scanner.close();
        } finally {
            if (resources != null) {
                try {
                    resources.close();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + name + " failed: " + e.getMessage(), e);
                }
            }
        }
    }

    /** The default model of the task (DefaultModels), on {@code runtime}. */
    static EvalCandidate defaults(Task task, RuntimeOptions runtime) {
        DefaultModels models = DefaultModels.load(runtime, DefaultModels.DEFAULT_WINDOW_TOKENS);
        try {
            Scanner s = switch (task) {
                case TOXICITY -> models.toxicityScanner().build();
                case REFUSAL -> models.refusalScanner().build();
                case PREFERENCE -> models.preferenceScanner().build();
            };
            String head = switch (task) {
                case TOXICITY -> models.toxicityHead().encoderName();
                case REFUSAL -> models.refusalHead().encoderName();
                case PREFERENCE -> models.preferenceHead().encoderName();
            };
            return new EvalCandidate("default", "default " + task.id() + " head on " + head + " (guard-models)", s, Stage.PROMPT, 1,
                    false, models);
        } catch (RuntimeException e) {
            models.close();
            throw e;
        }
    }

    /**
     * A Hugging Face-layout classifier directory. Threshold and flagged label: the options when given, else
     * those a guard-train fused export records in config.json ({@code parapet.threshold},
     * {@code parapet.flagged_label}), else 0.5 and the model's second label.
     */
    static EvalCandidate modelDirectory(Task task, Path dir, Double threshold, String flaggedLabel, RuntimeOptions runtime) {
        if (task == Task.PREFERENCE) {
            throw new CliException("--model reads a text classifier; preference needs a reward head: evaluate the default "
                    + "models or a --config with a preference scanner");
        }
        if (!Files.isDirectory(dir)) {
            throw new CliException("model directory " + dir + " does not exist");
        }
        JsonObject parapet = parapetBlock(dir.resolve("config.json"));
        double t = threshold != null ? threshold
                : parapet != null && parapet.has("threshold") ? parapet.get("threshold").getAsDouble() : 0.5;
        String label = flaggedLabel != null ? flaggedLabel
                : parapet != null && parapet.has("flagged_label") ? parapet.get("flagged_label").getAsString() : null;
        String thresholdSource = threshold != null ? "--threshold" : parapet != null && parapet.has("threshold") ? "config.json" : "default";
        ClassifierScanner.Builder b = ClassifierScanner.builder(dir.getFileName() == null ? task.id() : dir.getFileName().toString(),
                ModelSource.directory(dir)).threshold(t).options(runtime);
        if (label != null) {
            b.flaggedLabels(label);
        }
        ClassifierScanner s = b.build();
        return new EvalCandidate(dir.toString(), String.format(Locale.ROOT, "classifier %s, flagged label %s, threshold %.4f (%s)",
                dir, s.flaggedLabels(), t, thresholdSource), s, Stage.PROMPT, 1, false, null);
    }

    private static JsonObject parapetBlock(Path config) {
        if (!Files.isRegularFile(config)) {
            return null; // the loader says what is missing
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8));
            if (e.isJsonObject() && e.getAsJsonObject().has("parapet") && e.getAsJsonObject().get("parapet").isJsonObject()) {
                return e.getAsJsonObject().getAsJsonObject("parapet");
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null; // the loader reports an unreadable config.json with its own message
        }
    }

    /**
     * The scanner of a guard configuration that judges {@code task}: toxicity looks in input_scanners, then
     * output_scanners; refusal and preference in output_scanners. The first scanner named {@code wanted}
     * (default: the task's name) wins; without {@code wanted}, a single scanner whose name contains the task's
     * name is taken too.
     */
    static EvalCandidate config(Task task, Path file, String wanted) {
        if (!Files.isRegularFile(file)) {
            throw new CliException("configuration file " + file + " does not exist");
        }
        Guard guard = GuardConfig.load(file);
        try {
            List<Scanner> prompt = task == Task.TOXICITY ? guard.inputScanners() : List.of();
            List<Scanner> output = guard.outputScanners();
            String name = wanted != null ? wanted : task.id();
            Stage stage = null;
            Scanner found = null;
            for (Scanner s : prompt) {
                if (found == null && s.name().equals(name)) {
                    found = s;
                    stage = Stage.PROMPT;
                }
            }
            for (Scanner s : output) {
                if (found == null && s.name().equals(name)) {
                    found = s;
                    stage = Stage.OUTPUT;
                }
            }
            if (found == null && wanted == null) {
                List<Scanner> close = new ArrayList<>();
                List<Stage> stages = new ArrayList<>();
                prompt.stream().filter(s -> s.name().contains(name)).forEach(s -> {
                    close.add(s);
                    stages.add(Stage.PROMPT);
                });
                output.stream().filter(s -> s.name().contains(name)).forEach(s -> {
                    close.add(s);
                    stages.add(Stage.OUTPUT);
                });
                if (close.size() == 1) {
                    found = close.get(0);
                    stage = stages.get(0);
                }
            }
            if (found == null) {
                throw new CliException("configuration " + file + " has no " + (task == Task.TOXICITY ? "" : "output ")
                        + "scanner named '" + name + "'; its scanners: " + Guards.describe(guard) + "; pick one with --scanner NAME");
            }
            // the guard owns the scanner: closing it closes every scanner it holds, once
            Scanner scanner = found;
            return new EvalCandidate(file + ":" + found.name(), "scanner '" + found.name() + "' (" + stage.name().toLowerCase(Locale.ROOT)
                    + " stage) of " + file, new Unclosed(scanner), stage, 1, false, guard);
        } catch (RuntimeException e) {
            guard.close();
            throw e;
        }
    }

    /** An LLM judge (LlmJudgeScanner) for toxicity or refusal. */
    static EvalCandidate judge(Task task, ChatModel model, String modelName, Duration timeout, int concurrency) {
        LlmJudgeScanner s = switch (task) {
            case TOXICITY -> LlmJudgeScanner.builder(model).name("judge").timeout(timeout).build();
            case REFUSAL -> LlmJudgeScanner.refusal(model).name("judge").timeout(timeout).build();
            case PREFERENCE -> throw new CliException("the LLM judge labels single texts (toxicity, refusal); it has no pairwise "
                    + "preference mode");
        };
        return new EvalCandidate("judge:" + modelName, "LLM judge " + modelName + " (LlmJudgeScanner; 0/1 scores, threshold "
                + LlmJudgeScanner.THRESHOLD + ")", s, Stage.PROMPT, concurrency, true, null);
    }

    /** A scanner whose owner (a guard) closes it; closing this view does nothing. */
    private record Unclosed(Scanner delegate) implements Scanner {
        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public boolean isSanitizer() {
            return delegate.isSanitizer();
        }

        @Override
        public dev.parapet.core.ScanResult scan(ScanInput input) {
            return delegate.scan(input);
        }

        @Override
        public List<dev.parapet.core.ScanResult> scanAll(List<ScanInput> inputs) {
            return delegate.scanAll(inputs);
        }

        @Override
        public void close() {
        }
    }
}
