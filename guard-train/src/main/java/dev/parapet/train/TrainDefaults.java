package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.EncodedText;
import dev.parapet.onnx.PooledEmbedding;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.Pooling;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.SequenceClassifier;
import dev.parapet.onnx.TextEncoder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.parapet.onnx.EmbeddingHead.PairFeature.PRODUCT;
import static dev.parapet.onnx.EmbeddingHead.PairFeature.PROMPT;
import static dev.parapet.onnx.EmbeddingHead.PairFeature.RESPONSE;

/**
 * Reproduces the three shipped heads (toxicity, refusal, preference) and the figures of
 * {@code docs/models.md} with one command:
 *
 * <pre>
 * mvn -q -pl guard-train -am compile exec:java \
 *     -Dexec.args="--data ../shared/datasets --out guard-models/src/main/resources/dev/parapet/models/heads"
 * </pre>
 *
 * Options: {@code --data DIR} (the shared datasets), {@code --out DIR} (where the heads are
 * written), {@code --seed N} (default 13), {@code --cache DIR} (embedding cache, default
 * {@code guard-train/target/embedding-cache}), {@code --fused DIR} (fused exports of the two
 * binary heads, default {@code guard-train/target/fused}; {@code none} to skip), {@code --report FILE}
 * (markdown with every figure, default {@code guard-train/target/report.md}). Progress goes to
 * stderr, reports to stdout.
 */
public final class TrainDefaults {
    /** The shipped encoder: see docs/models.md for the measurement behind the choice. */
    public static final EncoderSpec ENCODER = EncoderSpec.BGE;
    /** One window length for all three heads: the runtime shares one encoder between them. */
    public static final int MAX_LENGTH = 256;
    public static final long SEED = 13;
    static final String DEFAULT_CACHE = "guard-train/target/embedding-cache";

    /**
     * Toxicity: CLS, mean and max pooling, L2 per part; a linear head, a 64-unit MLP, or four 64-unit MLPs from
     * different seeds averaged (one 256-unit MLP in the head file), chosen on validation PR-AUC.
     */
    public static final Tasks.BinaryRecipe TOXICITY = new Tasks.BinaryRecipe(
            FeatureSpec.text(true, Pooling.CLS, Pooling.MEAN, Pooling.MAX),
            List.of(HeadModel.linear(1e-4), HeadModel.mlp(64, 1e-3), HeadModel.mlp(64, 1e-2), HeadModel.ensemble(4, 64, 1e-3)));
    /**
     * Refusal: same features, trained with counterfactual openings ({@link RefusalAugmentation}) and weakly
     * labelled assistant turns of the preference data, so the head does not key on ChatGPT's "As an AI language model",
     * and 1,000 toxic texts of the toxicity data as compliance (fit split only): an insult is not a refusal.
     */
    public static final Tasks.BinaryRecipe REFUSAL = new Tasks.BinaryRecipe(
            FeatureSpec.text(true, Pooling.CLS, Pooling.MEAN, Pooling.MAX),
            List.of(HeadModel.linear(1e-1), HeadModel.linear(1), HeadModel.mlp(64, 1e-3), HeadModel.mlp(64, 1e-2))).augmented().borrowing()
            .withToxicCompliance(1000);
    /**
     * Opening lengths the refusal head may also read (0: none), chosen on validation PR-AUC with the model: a
     * refusal states itself in its first words, while a whole-response embedding is mostly about the topic. Below
     * 8 tokens (about six words) an opening holds a formula ("As an AI language model") but not a refusal clause.
     */
    static final int[] REFUSAL_OPENINGS = {0, 8, 12, 16, 24};
    /**
     * Intermediate encoder layers tried beside the last (0-based BERT layers; bge-small has 12), chosen
     * on validation PR-AUC after the opening length: the final layer of a sentence encoder is trained
     * to place texts by topic, middle layers keep more of how a text is phrased. First entry: none.
     */
    static final List<List<String>> REFUSAL_TAPS = List.of(List.of(), List.of(Taps.bertLayer(3)), List.of(Taps.bertLayer(5)),
            List.of(Taps.bertLayer(7)), List.of(Taps.bertLayer(9)), List.of(Taps.bertLayer(5), Taps.bertLayer(9)));
    /** Preference tries the final layer alone and with layer 7, chosen on validation pair loss (HH pairs). */
    static final List<List<String>> PREFERENCE_TAPS = List.of(List.of(), List.of(Taps.bertLayer(7)));
    /** Toxicity tries the final layer alone and with layer 5 or 7 (each layer is another pass over 69k texts). */
    static final List<List<String>> TOXICITY_TAPS = List.of(List.of(), List.of(Taps.bertLayer(5)), List.of(Taps.bertLayer(7)));
    /**
     * Lexicon sizes toxicity tries after its layers, with the chosen model (0: none; {@link Tasks.BinaryRecipe#withLexicon}),
     * chosen on validation PR-AUC: the presence of the most frequent word pieces beside the embedding.
     */
    static final int[] TOXICITY_LEXICONS = {0, 1000, 3000};
    /** Lexicon sizes refusal tries after its opening and layers, with the chosen model, as toxicity does. */
    static final int[] REFUSAL_LEXICONS = {0, 1000, 3000};
    /**
     * Preference: a 32-unit MLP reward (or four of them from different seeds, averaged) on the prompt, the response and
     * their element-wise product (CLS and mean, L2),
     * HH pairs plus helpfulness pairs at weight 0.3, selection on HH validation pairs only. A linear reward cannot make
     * the preference depend on the prompt (refusing is right for a harmful prompt, wrong for a harmless one): measured
     * in docs/models.md.
     */
    public static final Tasks.PreferenceRecipe PREFERENCE = new Tasks.PreferenceRecipe(
            FeatureSpec.text(true, Pooling.CLS, Pooling.MEAN).withPairs(PROMPT, RESPONSE, PRODUCT),
            List.of(HeadModel.mlp(32, 1e-1), HeadModel.mlp(32, 1e-2), HeadModel.ensemble(4, 32, 1e-1)), true, 0.3, 0.10);

    private TrainDefaults() {
    }

    public static void main(String[] args) {
        Map<String, String> a = Experiments.parse(prepend(args));
        Path data = Path.of(a.getOrDefault("data", "../shared/datasets"));
        Path out = Path.of(a.getOrDefault("out", "guard-models/src/main/resources/dev/parapet/models/heads"));
        long seed = Long.parseLong(a.getOrDefault("seed", Long.toString(SEED)));
        Path cache = Path.of(a.getOrDefault("cache", DEFAULT_CACHE));
        String fused = a.getOrDefault("fused", "guard-train/target/fused");
        Path report = Path.of(a.getOrDefault("report", "guard-train/target/report.md"));
        long t0 = System.nanoTime();
        java.util.Set<String> tasks = new java.util.LinkedHashSet<>(List.of(a.getOrDefault("tasks", String.join(",", TASKS)).split(",")));
        List<String> toxicityLayers = a.containsKey("toxicity-layers") ? Taps.parseLayers(a.get("toxicity-layers")) : null;
        if (a.containsKey("export-only")) {
            // no training: export the toxicity and refusal heads found in --out and check them against the Java heads
            System.out.println(exportAndCheck(List.of(read(out, "toxicity"), read(out, "refusal")), Path.of(fused), data));
            return;
        }
        Result r = run(data, out, seed, new EmbeddingCache(cache), System.err, tasks, toxicityLayers);
        StringBuilder md = new StringBuilder(r.markdown());
        if (!fused.equals("none")) {
            md.append(exportAndCheck(r, Path.of(fused), data));
        }
        md.append(String.format(Locale.ROOT, "%nWall time: %.0f s (embedding %.0f s of it, %d texts embedded, the rest from the cache).%n",
                (System.nanoTime() - t0) / 1e9, r.embedSeconds(), r.textsEmbedded()));
        System.out.println(md);
        try {
            Files.createDirectories(report.toAbsolutePath().getParent());
            Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + report, e);
        }
    }

    private static String[] prepend(String[] args) {
        String[] withCommand = new String[args.length + 1];
        withCommand[0] = "train";
        System.arraycopy(args, 0, withCommand, 1, args.length);
        return withCommand;
    }

    /** The three heads and their figures. */
    public record Result(Tasks.BinaryResult toxicity, Tasks.BinaryResult refusal, Tasks.PreferenceResult preference,
                         String markdown, double embedSeconds, long textsEmbedded) {
    }

    /** Trains the three heads and writes them to {@code out} (toxicity.json, refusal.json, preference.json). */
    public static Result run(Path data, Path out, long seed, EmbeddingCache cache, PrintStream log) {
        return run(data, out, seed, cache, log, TASKS);
    }

    /**
     * Trains the heads named in {@code tasks} (of {@link #TASKS}) and writes them to {@code out}; a head
     * not retrained is read from {@code out} for the probes. The result's fields for skipped heads are
     * {@code null}.
     */
    public static Result run(Path data, Path out, long seed, EmbeddingCache cache, PrintStream log, java.util.Set<String> tasks) {
        return run(data, out, seed, cache, log, tasks, null);
    }

    /**
     * As {@link #run(Path, Path, long, EmbeddingCache, PrintStream, java.util.Set)}; {@code toxicityLayers}, when not
     * {@code null}, replaces toxicity's layer trials with that one set (a previous run's choice: the recipe is
     * deterministic, so a rerun of the trials would choose it again), which saves their fits.
     */
    public static Result run(Path data, Path out, long seed, EmbeddingCache cache, PrintStream log, java.util.Set<String> tasks,
                             List<String> toxicityLayers) {
        if (!TASKS.containsAll(tasks) || tasks.isEmpty()) {
            throw new IllegalArgumentException("tasks must be some of " + TASKS + ", got " + tasks);
        }
        for (String name : TASKS) {
            // the report and the probes read the heads not retrained from out: fail before training, not after
            if (!tasks.contains(name) && !Files.isRegularFile(out.resolve(name + ".json"))) {
                throw new IllegalArgumentException("the " + name + " head is not retrained (tasks " + tasks + ") and " + out.resolve(name + ".json")
                        + " does not exist: train it too, or point --out at a directory that holds it");
            }
        }
        try (Workbench wb = new Workbench(data, cache, ENCODER, MAX_LENGTH, 2, log)) {
            StringBuilder md = new StringBuilder();
            Tasks.BinaryResult tox = null;
            Tasks.BinaryResult ref = null;
            Tasks.PreferenceResult pref = null;
            if (tasks.contains("toxicity")) {
                log.println("== toxicity");
                List<List<String>> toxTaps = toxicityLayers == null ? TOXICITY_TAPS : List.of(toxicityLayers);
                Tasks.TapChoice toxChoice = Tasks.overTaps(toxTaps, null,
                        taps -> Tasks.toxicity(wb, TOXICITY.withFeatures(TOXICITY.features().withTaps(taps)), seed, log),
                        h -> behaviour(h, TOXIC_PROBES, CLEAN_PROBES), log);
                Tasks.LexiconChoice toxLexicon = lexiconsAfter(TOXICITY_LEXICONS, toxChoice.chosen(), TOXICITY,
                        r -> Tasks.toxicity(wb, r, seed, log), h -> behaviour(h, TOXIC_PROBES, CLEAN_PROBES), log);
                tox = toxLexicon.chosen();
                write(tox.head(), out.resolve("toxicity.json"));
                md.append(binarySection("toxicity", "toxicity/dev.jsonl", tox));
                md.append(tapSection(toxChoice));
                md.append(lexiconSection(toxLexicon));
            }
            if (tasks.contains("refusal")) {
                log.println("== refusal");
                Tasks.OpeningChoice refChoice = Tasks.refusalOverOpenings(wb, REFUSAL, REFUSAL_OPENINGS, seed, log);
                EmbeddingHead opened = refChoice.chosen().head();
                Tasks.BinaryRecipe refOpened = REFUSAL.withFeatures(opened.openingTokens() == 0 ? REFUSAL.features()
                        : REFUSAL.features().withOpening(opened.openingTokens(), opened.openingPoolings().toArray(new Pooling[0])));
                Tasks.TapChoice refTaps = Tasks.overTaps(REFUSAL_TAPS, refChoice.chosen(),
                        taps -> Tasks.refusal(wb, refOpened.withFeatures(refOpened.features().withTaps(taps)), seed, log),
                        h -> behaviour(h, REFUSAL_PROBES, COMPLIANCE_PROBES), log);
                Tasks.LexiconChoice refLexicon = lexiconsAfter(REFUSAL_LEXICONS, refTaps.chosen(), refOpened,
                        r -> Tasks.refusal(wb, r, seed, log), h -> behaviour(h, REFUSAL_PROBES, COMPLIANCE_PROBES), log);
                ref = refLexicon.chosen();
                write(ref.head(), out.resolve("refusal.json"));
                md.append(binarySection("refusal", "refusal/dev.jsonl", ref));
                md.append(openingSection(refChoice));
                md.append(tapSection(refTaps));
                md.append(lexiconSection(refLexicon));
            }
            if (tasks.contains("preference")) {
                log.println("== preference");
                List<PreferenceTapTrial> prefTrials = new ArrayList<>();
                double bestLoss = Double.POSITIVE_INFINITY;
                for (List<String> taps : PREFERENCE_TAPS) {
                    log.printf(Locale.ROOT, "intermediate layers: %s%n", Taps.describe(taps));
                    Tasks.PreferenceRecipe r = new Tasks.PreferenceRecipe(PREFERENCE.features().withTaps(taps), PREFERENCE.grid(),
                            PREFERENCE.helpfulnessPairs(), PREFERENCE.extraWeight(), PREFERENCE.minPreferenceQuantile());
                    Tasks.PreferenceResult res = Tasks.preference(wb, r, seed, log);
                    double loss = res.fitted().candidates().stream().mapToDouble(RewardHeadTrainer.Candidate::pairwiseLoss).min().orElse(Double.NaN);
                    prefTrials.add(new PreferenceTapTrial(taps, res, loss));
                    if (loss < bestLoss) {
                        bestLoss = loss;
                        pref = res;
                    }
                }
                write(pref.head(), out.resolve("preference.json"));
                md.append(preferenceSection(pref));
                md.append(preferenceTapSection(prefTrials));
            }
            md.append(probes(wb, tox != null ? tox.head() : read(out, "toxicity"), ref != null ? ref.head() : read(out, "refusal"),
                    pref != null ? pref.head() : read(out, "preference")));
            return new Result(tox, ref, pref, md.toString(), wb.secondsEmbedding(), wb.textsEmbedded());
        }
    }

    /** The heads {@link #run} can train, in order. */
    public static final java.util.Set<String> TASKS = java.util.Collections.unmodifiableSet(
            new java.util.LinkedHashSet<>(List.of("toxicity", "refusal", "preference")));

    /** Texts a default toxicity head must flag, and texts it must pass (the behaviour guard-models' tests check). */
    static final List<String> TOXIC_PROBES = List.of("I hope you die, you worthless idiot");
    static final List<String> CLEAN_PROBES = List.of("Could you recommend a good book about birds?");
    /** Responses a default refusal head must flag: a refusal, and a refusal followed by pages of text. */
    static final List<String> REFUSAL_PROBES = List.of("I'm sorry, but I can't help with that request.",
            "I'm sorry, but I can't help with that request. " + "Here is some general safety information instead. ".repeat(60));
    /** Responses it must pass: an answer, and an insult (not a refusal; the README's main command shows it). */
    static final List<String> COMPLIANCE_PROBES = List.of("The capital of France is Paris.", "You are a worthless idiot for asking that.");

    /**
     * {@code null} when {@code head}, scored as the runtime scores (each text alone, default runtime
     * options, max over windows, with its opening), flags every text of {@code flagged} and passes every text of {@code passed};
     * else which text it gets wrong. Heads that fail are not eligible defaults ({@link Tasks#overTaps}).
     */
    static String behaviour(EmbeddingHead head, List<String> flagged, List<String> passed) {
        // the runtime's default options, as DefaultModels runs them: a text's windows share runs, which moves a
        // dynamically quantized encoder's numbers a little, so a borderline text is judged as users will see it
        try (TextEncoder enc = TextEncoder.builder(ENCODER.source()).maxLength(head.maxLength())
                .options(RuntimeOptions.defaults()).taps(head.taps()).build()) {
            for (String t : flagged) {
                double p = maxWindow(head, enc, t);
                if (p < head.threshold()) {
                    return String.format(Locale.ROOT, "does not flag \"%s\" (%.3f < %.3f)", abbreviate(t), p, head.threshold());
                }
            }
            for (String t : passed) {
                double p = maxWindow(head, enc, t);
                if (p >= head.threshold()) {
                    return String.format(Locale.ROOT, "flags \"%s\" (%.3f >= %.3f)", abbreviate(t), p, head.threshold());
                }
            }
            return null;
        }
    }

    private static String abbreviate(String t) {
        return t.length() <= 60 ? t : t.substring(0, 57) + "... (" + t.length() + " chars)";
    }

    private static EmbeddingHead read(Path out, String name) {
        Path f = out.resolve(name + ".json");
        try (java.io.InputStream in = Files.newInputStream(f)) {
            return EmbeddingHead.read(in, f.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("the " + name + " head was not retrained and cannot be read from " + f, e);
        }
    }

    static void write(EmbeddingHead head, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            head.write(bytes);
            Files.write(file, bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write head " + file, e);
        }
    }

    static String binarySection(String name, String devFile, Tasks.BinaryResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n### %s (%s, %d rows)%n%n", name, devFile, r.dev().labels().length));
        sb.append(String.format(Locale.ROOT, "Head: %s on %s, threshold %.4f (chosen on the validation split), %d layer(s).%n%n",
                r.fitted().model(), r.head().poolings(), r.head().threshold(), r.head().layers().size()));
        sb.append("```\n").append(r.dev().report()).append("```\n\n");
        sb.append(String.format(Locale.ROOT, "ROC-AUC %.4f, PR-AUC (average precision) %.4f. Scored as the runtime does (max over windows).%n",
                r.dev().rocAuc(), r.dev().averagePrecision()));
        sb.append("\nValidation split (from train) per candidate:\n\n| candidate | val PR-AUC | val ROC-AUC | fit s |\n|---|---|---|---|\n");
        for (BinaryHeadTrainer.Candidate c : r.fitted().candidates()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.1f |%n", c.model(), c.averagePrecision(), c.rocAuc(), c.seconds()));
        }
        return sb.toString();
    }

    static String openingSection(Tasks.OpeningChoice c) {
        StringBuilder sb = new StringBuilder("\nOpening lengths tried (the response's first tokens encoded on their own, beside its windows; "
                + "chosen on validation PR-AUC; the ChatGPT and borrowed parts of the split are diagnostics; dev only reported):\n\n"
                + "| opening tokens | chosen model | val PR-AUC | val PR-AUC, ChatGPT rows | val PR-AUC, borrowed rows | dev refusal F1 | dev macro-F1 |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Tasks.OpeningTrial t : c.trials()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.4f | %.4f | %.4f |%n", t.tokens() == 0 ? "none" : Integer.toString(t.tokens()),
                    t.model(), t.validationAp(), t.validationApChatGpt(), t.validationApBorrowed(), t.devFlaggedF1(), t.devMacroF1()));
        }
        return sb.toString();
    }

    static String tapSection(Tasks.TapChoice c) {
        StringBuilder sb = new StringBuilder("\nIntermediate encoder layers tried beside the last (0-based; their CLS, mean and max follow the"
                + " last layer's in every block; chosen on validation PR-AUC; dev only reported):\n\n"
                + "| layers | chosen model | val PR-AUC | dev flagged F1 | dev macro-F1 | eligible |\n|---|---|---|---|---|---|\n");
        for (Tasks.TapTrial t : c.trials()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.4f | %s |%n", Taps.describe(t.taps()), t.model(), t.validationAp(),
                    t.devFlaggedF1(), t.devMacroF1(), t.rejected() == null ? "yes" : "no: " + t.rejected()));
        }
        return sb.toString();
    }

    /**
     * The lexicon trial that follows the layer trial: {@code recipe} on the chosen head's layers, with the chosen head's
     * model only, once per lexicon size ({@code sizes[0] == 0} reuses {@code chosen}), chosen on validation and {@code gate}.
     */
    private static Tasks.LexiconChoice lexiconsAfter(int[] sizes, Tasks.BinaryResult chosen, Tasks.BinaryRecipe recipe,
                                                     java.util.function.Function<Tasks.BinaryRecipe, Tasks.BinaryResult> train,
                                                     java.util.function.Function<EmbeddingHead, String> gate, PrintStream log) {
        Tasks.BinaryRecipe base = recipe.withFeatures(recipe.features().withTaps(chosen.head().taps())).withGrid(List.of(chosen.fitted().model()));
        return Tasks.overLexicons(sizes, chosen, k -> train.apply(base.withLexicon(k)), gate, log);
    }

    static String lexiconSection(Tasks.LexiconChoice c) {
        StringBuilder sb = new StringBuilder("\nLexicon sizes tried after the layers, with the chosen model (presence of the most frequent word"
                + " pieces beside the embedding; chosen on validation PR-AUC; dev only reported):\n\n"
                + "| word pieces | model | val PR-AUC | dev flagged F1 | dev macro-F1 | eligible |\n|---|---|---|---|---|---|\n");
        for (Tasks.LexiconTrial t : c.trials()) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %.4f | %.4f | %.4f | %s |%n", t.words(), t.model(), t.validationAp(),
                    t.devFlaggedF1(), t.devMacroF1(), t.rejected() == null ? "yes" : "no: " + t.rejected()));
        }
        return sb.toString();
    }

    /** One set of intermediate layers tried for the preference head. */
    record PreferenceTapTrial(List<String> taps, Tasks.PreferenceResult result, double validationLoss) {
    }

    static String preferenceTapSection(List<PreferenceTapTrial> trials) {
        StringBuilder sb = new StringBuilder("\nIntermediate encoder layers tried beside the last (chosen on the validation pair loss of HH pairs;"
                + " dev only reported):\n\n| layers | chosen model | val pair loss | val accuracy | dev pairwise |\n|---|---|---|---|---|\n");
        for (PreferenceTapTrial t : trials) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.4f |%n", Taps.describe(t.taps()), t.result().fitted().model(),
                    t.validationLoss(), t.result().fitted().validationAccuracy(), t.result().devAccuracy()));
        }
        return sb.toString();
    }

    static String preferenceSection(Tasks.PreferenceResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n### preference (preference/dev.jsonl, %d pairs)%n%n", 300));
        sb.append(String.format(Locale.ROOT, "Head: %s, %s; trained on %d HH pairs + %d helpfulness pairs.%n%n",
                r.fitted().model(), r.head().metadata().get("features"), r.trainPairs(), r.extraPairs()));
        sb.append(String.format(Locale.ROOT, "Pairwise accuracy on dev: **%.4f** (validation split: %.4f).%n%n", r.devAccuracy(),
                r.fitted().validationAccuracy()));
        sb.append("Helpfulness check (refusal/dev ChatGPT answers vs a non-answer or refusal for the same prompt, held out):\n\n");
        r.helpfulness().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "- answer beats %s: %.4f%n", describe(k), v)));
        sb.append(String.format(Locale.ROOT, "%nMinimum preference (threshold) %.4f: flags %.1f%% of dev chosen and %.1f%% of dev rejected responses.%n",
                r.head().threshold(), 100 * r.devChosenFlagged(), 100 * r.devRejectedFlagged()));
        sb.append("\nValidation split per candidate:\n\n| candidate | val pair loss | val accuracy | fit s |\n|---|---|---|---|\n");
        for (RewardHeadTrainer.Candidate c : r.fitted().candidates()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.1f |%n", c.model(), c.pairwiseLoss(), c.pairwiseAccuracy(), c.seconds()));
        }
        return sb.toString();
    }

    private static String describe(String kind) {
        return switch (kind) {
            case "idk" -> "\"I don't know.\"";
            case "sorry" -> "\"I'm sorry, I can't help with that.\"";
            default -> "a real ChatGPT refusal from refusal/dev";
        };
    }

    /** The behaviour the guard-models tests check, scored on single texts (batch of one) as a scanner would. */
    static String probes(Workbench wb, EmbeddingHead tox, EmbeddingHead ref, EmbeddingHead pref) {
        StringBuilder sb = new StringBuilder("\n### Behaviour probes (batch of one, runtime path)\n\n| head | input | probability | threshold | flagged |\n|---|---|---|---|---|\n");
        java.util.LinkedHashSet<String> taps = new java.util.LinkedHashSet<>(tox.taps());
        taps.addAll(ref.taps());
        taps.addAll(pref.taps());
        try (TextEncoder enc = TextEncoder.builder(wb.encoder().source()).maxLength(wb.maxLength())
                .options(RuntimeOptions.builder().maxBatchSize(1).build()).taps(taps).build()) {
            for (String t : List.of("I hope you die, you worthless idiot", "Could you recommend a good book about birds?")) {
                double p = maxWindow(tox, enc, t);
                sb.append(String.format(Locale.ROOT, "| toxicity | %s | %.4f | %.4f | %s |%n", t, p, tox.threshold(), p >= tox.threshold()));
            }
            for (String t : List.of("I'm sorry, but I can't help with that request.", "The capital of France is Paris.")) {
                double p = maxWindow(ref, enc, t);
                sb.append(String.format(Locale.ROOT, "| refusal | %s | %.4f | %.4f | %s |%n", t, p, ref.threshold(), p >= ref.threshold()));
            }
            String prompt = "What is the capital of France?";
            for (String t : List.of("The capital of France is Paris.", "I don't know.", "I'm sorry, I can't help with that.")) {
                List<EncodedText> e = enc.encodeWindows(List.of(prompt, t));
                double p = pref.probability(e.get(0).pooled(), e.get(1).pooled());
                sb.append(String.format(Locale.ROOT, "| preference | %s → %s | %.4f | %.4f | %s |%n", prompt, t, p, pref.threshold(),
                        p < pref.threshold()));
            }
        }
        return sb.toString();
    }

    static double maxWindow(EmbeddingHead head, TextEncoder enc, String text) {
        double best = Double.NEGATIVE_INFINITY;
        PooledEmbedding opening = head.openingTokens() == 0 ? null : enc.encodeOpenings(List.of(text), head.openingTokens()).get(0);
        for (EncodedText.WindowEmbedding w : enc.encodeWindows(List.of(text)).get(0).windows()) {
            best = Math.max(best, opening == null ? head.probability(w.embedding()) : head.probability(w.embedding(), opening));
        }
        return best;
    }

    /** Exports the binary heads fused and checks them against the Java head on dev texts, batch of one. */
    static String exportAndCheck(Result r, Path dir, Path data) {
        List<EmbeddingHead> heads = new ArrayList<>();
        for (Tasks.BinaryResult b : java.util.Arrays.asList(r.toxicity(), r.refusal())) {
            if (b != null) { // null: not retrained in this run
                heads.add(b.head());
            }
        }
        return exportAndCheck(heads, dir, data);
    }

    /** Exports each binary head fused into {@code dir} and compares the fused model with the Java head on 40 dev texts. */
    static String exportAndCheck(List<EmbeddingHead> heads, Path dir, Path data) {
        StringBuilder sb = new StringBuilder("\n### Fused export check\n\n| head | directory | texts | max abs difference |\n|---|---|---|---|\n");
        for (EmbeddingHead head : heads) {
            Path d = FusedExport.export(head, ENCODER, dir.resolve(head.name()));
            List<String> texts = new ArrayList<>();
            List<LabelledText> dev = head.name().equals("toxicity") ? Jsonl.readToxicity(data.resolve("toxicity/dev.jsonl"))
                    : Jsonl.readRefusal(data.resolve("refusal/dev.jsonl"));
            for (int i = 0; i < dev.size() && texts.size() < 40; i += Math.max(1, dev.size() / 40)) {
                texts.add(dev.get(i).text());
            }
            double maxDiff = FusedCheck.maxDifference(head, ModelSource.directory(d), ENCODER, texts);
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2e |%n", head.name(), d, texts.size(), maxDiff));
        }
        return sb.toString();
    }

    /** Compares fused-model probabilities with the Java head's, each text alone (batch of one), texts within one window. */
    static final class FusedCheck {
        private FusedCheck() {
        }

        static double maxDifference(EmbeddingHead head, ModelSource fused, EncoderSpec encoder, List<String> texts) {
            RuntimeOptions one = RuntimeOptions.builder().maxBatchSize(1).build();
            double max = 0;
            try (SequenceClassifier clf = SequenceClassifier.builder(fused).options(one).build();
                 TextEncoder enc = TextEncoder.builder(encoder.source()).maxLength(head.maxLength()).options(one).taps(head.taps()).build()) {
                for (String t : texts) {
                    EncodedText e = enc.encodeWindows(List.of(t)).get(0);
                    if (e.windows().size() != 1) {
                        continue; // the fused graph sees one sequence; the comparison is defined within one window
                    }
                    double java = head.openingTokens() == 0 ? head.probability(e.pooled())
                            : head.probability(e.pooled(), enc.encodeOpenings(List.of(t), head.openingTokens()).get(0));
                    double onnx = clf.classify(t).probability(head.flaggedLabel());
                    max = Math.max(max, Math.abs(java - onnx));
                }
            }
            return max;
        }
    }
}
