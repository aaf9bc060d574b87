package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.PooledEmbedding;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.SplittableRandom;

/**
 * The three default tasks end to end on a {@link Workbench}: features from the cached embeddings,
 * a head fitted and calibrated on the training file only, and the evaluation on the dev file as
 * the runtime would score it.
 */
public final class Tasks {
    public static final List<String> TOXICITY_LABELS = List.of("non-toxic", "toxic");
    public static final List<String> REFUSAL_LABELS = List.of("compliance", "refusal");
    public static final List<String> PREFERENCE_LABELS = List.of("rejected", "chosen");

    /**
     * How a binary head is trained.
     *
     * @param firstWindow train on the first window of each text only (where a refusal states itself)
     * @param borrow     add weakly labelled rows from other shared data, fit split only
     * @param augment    add counterfactual training rows (refusal: {@link RefusalAugmentation})
     * @param windowRows train on each window of a long text (labelled as the text) instead of its pooled embedding,
     *                   as the runtime scores each window
     * @param sourceBalanced class weights balanced within each data source (toxicity: the {@code source} field) instead
     *                   of over all rows
     * @param macroF1Threshold threshold at the highest validation macro-F1 (for a task judged by macro-F1) instead of the
     *                   flagged class's F1
     * @param detox      toxicity: add ParaDetox's toxic sentences and their neutral rewrites ({@link ToxicityAugmentation})
     *                   to the fit split, never to the validation split
     * @param toxicCompliance refusal: this many toxic texts of toxicity/train.jsonl join the fit split as compliance rows
     *                   (an insult is not a refusal), never the validation split
     * @param styles     refusal (with {@code augment}): style variants of each training row ({@link RefusalAugmentation#styles}),
     *                   fit split only
     */
    public record BinaryRecipe(FeatureSpec features, List<HeadModel> grid, boolean windowRows, double precisionTarget, boolean augment,
                               boolean borrow, boolean firstWindow, boolean sourceBalanced, boolean macroF1Threshold,
                               ToxicityAugmentation.Style detox, int toxicCompliance, int longRefusals, int lexiconSize, String styles, boolean borrowDialogues) {
        public BinaryRecipe {
            grid = List.copyOf(grid);
        }

        public BinaryRecipe(FeatureSpec features, List<HeadModel> grid, boolean windowRows, double precisionTarget, boolean augment,
                            boolean borrow, boolean firstWindow) {
            this(features, grid, windowRows, precisionTarget, augment, borrow, firstWindow, false, false, null, 0, 0, 0, null, false);
        }

        /** The same recipe with other candidate models. */
        public BinaryRecipe withGrid(List<HeadModel> g) {
            Copy c = new Copy(this);
            c.grid = g;
            return c.build();
        }

        /** The same recipe on other features. */
        public BinaryRecipe withFeatures(FeatureSpec f) {
            Copy c = new Copy(this);
            c.features = f;
            return c.build();
        }

        /** The same recipe with ParaDetox pairs in the fit split, their neutral side written in {@code style}. */
        public BinaryRecipe withDetoxPairs(ToxicityAugmentation.Style style) {
            Copy c = new Copy(this);
            c.detox = style;
            return c.build();
        }

        /** The same recipe with {@code n} toxic texts of toxicity/train.jsonl as compliance rows in the fit split (refusal). */
        public BinaryRecipe withToxicCompliance(int n) {
            Copy c = new Copy(this);
            c.toxicCompliance = n;
            return c.build();
        }

        /** The same recipe with class weights balanced within each data source. */
        public BinaryRecipe sourceBalancing() {
            Copy c = new Copy(this);
            c.sourceBalanced = true;
            return c.build();
        }

        /**
         * The same recipe with up to {@code n} long partial refusals in the fit split (refusal,
         * {@link RefusalAugmentation#longRefusals}): a refusal followed by pages of other text is still a refusal.
         */
        public BinaryRecipe withLongRefusals(int n) {
            Copy c = new Copy(this);
            c.longRefusals = n;
            return c.build();
        }

        /**
         * The same recipe with a lexicon of the {@code k} word pieces most frequent in the training texts
         * ({@link Lexicons#mostFrequent}) beside the embedding (0: none): an insult is often one word, which a
         * sentence embedding blurs.
         */
        public BinaryRecipe withLexicon(int k) {
            Copy c = new Copy(this);
            c.lexiconSize = k;
            return c.build();
        }

        /**
         * The same recipe with style variants of the training rows in the fit split ({@link RefusalAugmentation#styles}):
         * other chat models' lead-ins and refusal verbs, on both classes.
         */
        public BinaryRecipe withStyles() {
            return withStyles("both");
        }

        /** Measurement: {@code "lead-ins"} or {@code "verbs"} only, or {@code "both"} ({@link #withStyles()}). */
        BinaryRecipe withStyles(String which) {
            if (!List.of("both", "lead-ins", "verbs").contains(which)) {
                throw new IllegalArgumentException("styles: both, lead-ins or verbs, not " + which);
            }
            Copy c = new Copy(this);
            c.styles = which;
            return c.build();
        }

        /**
         * Measurement: with {@link #borrow}, also the weakly labelled assistant turns inside the preference training
         * prompts' dialogues (earlier turns of the same assistant), fit split only.
         */
        BinaryRecipe withDialogueTurns() {
            Copy c = new Copy(this);
            c.borrowDialogues = true;
            return c.build();
        }

        /** The same recipe with the threshold of highest validation macro-F1. */
        public BinaryRecipe macroF1Thresholding() {
            Copy c = new Copy(this);
            c.macroF1Threshold = true;
            return c.build();
        }

        public BinaryRecipe(FeatureSpec features, List<HeadModel> grid) {
            this(features, grid, false, Double.NaN, false, false, false);
        }

        /** The same recipe with training-data augmentation (refusal: {@link RefusalAugmentation}). */
        public BinaryRecipe augmented() {
            Copy c = new Copy(this);
            c.augment = true;
            return c.build();
        }

        /** The same recipe with weakly labelled rows borrowed from other shared data (refusal: preference assistant turns). */
        public BinaryRecipe borrowing() {
            Copy c = new Copy(this);
            c.borrow = true;
            return c.build();
        }

        /** A mutable copy, so that each {@code with...} method names only what it changes. */
        private static final class Copy {
            private FeatureSpec features;
            private List<HeadModel> grid;
            private boolean windowRows;
            private double precisionTarget;
            private boolean augment;
            private boolean borrow;
            private boolean firstWindow;
            private boolean sourceBalanced;
            private boolean macroF1Threshold;
            private ToxicityAugmentation.Style detox;
            private int toxicCompliance;
            private int longRefusals;
            private int lexiconSize;
            private String styles;
            private boolean borrowDialogues;

            Copy(BinaryRecipe r) {
                features = r.features;
                grid = r.grid;
                windowRows = r.windowRows;
                precisionTarget = r.precisionTarget;
                augment = r.augment;
                borrow = r.borrow;
                firstWindow = r.firstWindow;
                sourceBalanced = r.sourceBalanced;
                macroF1Threshold = r.macroF1Threshold;
                detox = r.detox;
                toxicCompliance = r.toxicCompliance;
                longRefusals = r.longRefusals;
                lexiconSize = r.lexiconSize;
                styles = r.styles;
                borrowDialogues = r.borrowDialogues;
            }

            BinaryRecipe build() {
                return new BinaryRecipe(features, grid, windowRows, precisionTarget, augment, borrow, firstWindow, sourceBalanced,
                        macroF1Threshold, detox, toxicCompliance, longRefusals, lexiconSize, styles, borrowDialogues);
            }
        }
    }

    /** A trained binary head and its dev evaluation. */
    public record BinaryResult(EmbeddingHead head, BinaryHeadTrainer.Fitted fitted, Evaluation dev, Evaluation devPooled,
                               double trainSeconds) {
    }

    /**
     * How the preference head is trained.
     *
     * @param helpfulnessPairs add {@link PreferenceAugmentation} pairs from the refusal training data
     * @param extraWeight      weight of each added pair (HH pairs weigh 1)
     */
    public record PreferenceRecipe(FeatureSpec features, List<HeadModel> grid, boolean helpfulnessPairs, double extraWeight,
                                   double minPreferenceQuantile) {
        public PreferenceRecipe {
            grid = List.copyOf(grid);
        }
    }

    /**
     * A trained preference head and what it does on held-out data.
     *
     * @param devAccuracy      pairwise accuracy on preference/dev
     * @param helpfulness      pairwise accuracy of ChatGPT's real answers (refusal/dev compliance rows) against
     *                         non-answers and refusals, per kind of rejected response
     * @param devChosenFlagged share of dev chosen responses below the minimum preference
     */
    public record PreferenceResult(EmbeddingHead head, RewardHeadTrainer.Fitted fitted, double devAccuracy,
                                   Map<String, Double> helpfulness, double devChosenFlagged, double devRejectedFlagged,
                                   int trainPairs, int extraPairs, double trainSeconds) {
    }

    private Tasks() {
    }

    /** What each head is trained on, and under which terms, written into the head's metadata. */
    static final Map<String, String> DATA = Map.of(
            "toxicity", "toxicity/train.jsonl of the Parapet shared datasets: Jigsaw sentences from s-nlp/detox (Jigsaw data CC0, "
                    + "text CC-BY-SA), OLID/OffensEval 2019 tweets (research use; cite Zampieri et al. 2019), Davidson et al. "
                    + "hate-speech and offensive-language tweets (MIT)",
            "refusal", "refusal/train.jsonl of the Parapet shared datasets: ChatGPT responses hand-labelled by the authors of "
                    + "\"I'm Afraid I Can't Do That\" (maxwellreuter/chatgpt-refusals, MIT), plus weakly labelled assistant turns "
                    + "of preference/train.jsonl (Anthropic HH-RLHF harmless-base, MIT), and toxic texts of toxicity/train.jsonl as "
                    + "compliance (Jigsaw via s-nlp/detox, OLID, Davidson et al.; terms as for the toxicity head)",
            "preference", "preference/train.jsonl of the Parapet shared datasets: Anthropic HH-RLHF harmless-base (MIT), plus "
                    + "helpfulness pairs built from the compliance rows of refusal/train.jsonl (maxwellreuter/chatgpt-refusals, MIT)");


    public static BinaryResult toxicity(Workbench wb, BinaryRecipe r, long seed, PrintStream log) {
        wb = wb.tapped(r.features().taps());
        List<LabelledText> train = wb.toxicity("train");
        List<LabelledText> dev = wb.toxicity("dev");
        int[] groups = r.sourceBalanced() ? sourceIds(Jsonl.readOptionalField(wb.file("toxicity", "train"), "source")) : null;
        List<TextEmbedding> trainE = wb.embedTexts(train, "toxicity-train");
        int[] source = null;
        if (r.detox() != null) {
            if (groups != null || r.windowRows()) {
                throw new IllegalArgumentException("ParaDetox rows cannot be combined with source balancing or window rows");
            }
            List<LabelledText> exclude = new ArrayList<>(train);
            exclude.addAll(dev);
            List<LabelledText> extra = ToxicityAugmentation.paradetox(Jsonl.readParallel(wb.file("detox", "paradetox"), "toxic", "neutral"),
                    exclude, r.detox());
            log.printf(Locale.ROOT, "toxicity: %d ParaDetox rows (%d toxic) join the fit split%n", extra.size(),
                    extra.stream().filter(t -> t.label() == 1).count());
            List<LabelledText> all = new ArrayList<>(train);
            all.addAll(extra);
            List<TextEmbedding> allE = new ArrayList<>(trainE);
            allE.addAll(wb.embedTexts(extra, "toxicity-paradetox-" + r.detox().name().toLowerCase(Locale.ROOT)));
            source = new int[all.size()];
            for (int i = 0; i < source.length; i++) {
                source[i] = i < train.size() ? i : -1; // originals split as before; ParaDetox rows fit only
            }
            train = all;
            trainE = allE;
        }
        return binary(wb, "toxicity", TOXICITY_LABELS, train, source, groups, trainE, dev,
                wb.embedTexts(dev, "toxicity-dev"), r, seed, log);
    }

    /** Dense ids of source names, in order of first appearance. */
    static int[] sourceIds(List<String> names) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        int[] out = new int[names.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.computeIfAbsent(String.valueOf(names.get(i)), k -> ids.size());
        }
        return out;
    }

    public static BinaryResult refusal(Workbench wb, BinaryRecipe r, long seed, PrintStream log) {
        wb = wb.tapped(r.features().taps());
        List<LabelledText> train = wb.refusal("train");
        List<LabelledText> dev = wb.refusal("dev");
        if (r.augment()) {
            List<RefusalAugmentation.Row> rows = RefusalAugmentation.augment(train, seed);
            List<LabelledText> all = new ArrayList<>(rows.stream().map(RefusalAugmentation.Row::row).toList());
            List<Integer> source = new ArrayList<>(rows.stream().map(RefusalAugmentation.Row::source).toList());
            List<TextEmbedding> emb = new ArrayList<>(wb.embedTexts(all, "refusal-train-augmented-" + seed));
            if (r.styles() != null) {
                // other chat models' lead-ins and refusal verbs; a copy's source is its original (originals come first)
                List<RefusalAugmentation.Row> styled = RefusalAugmentation.styles(train, seed, !r.styles().equals("verbs"), !r.styles().equals("lead-ins"));
                List<LabelledText> styledTexts = styled.stream().map(RefusalAugmentation.Row::row).toList();
                emb.addAll(wb.embedTexts(styledTexts, "refusal-train-styles-" + r.styles() + "-" + seed));
                all.addAll(styledTexts);
                styled.forEach(row -> source.add(row.source()));
                log.printf(Locale.ROOT, "refusal: %d style variants join the fit split%n", styled.size());
            }
            if (r.borrow()) {
                // weakly labelled assistant turns of the preference training data (already embedded for that task)
                List<PreferencePair> hh = wb.preference("train");
                Workbench.PairEmbeddings hhE = wb.embedPairs(hh, "preference-train");
                for (int i = 0; i < hh.size(); i++) {
                    for (int k = 0; k < 2; k++) {
                        String text = k == 0 ? hh.get(i).chosen() : hh.get(i).rejected();
                        int label = RefusalAugmentation.weakLabel(text);
                        if (label >= 0) {
                            // an original of its own: part of it lands in the validation split, so selection sees another model's phrasing
                            source.add(all.size());
                            all.add(new LabelledText(hh.get(i).prompt(), text, label));
                            emb.add(k == 0 ? hhE.chosen().get(i) : hhE.rejected().get(i));
                        }
                    }
                }
            }
            if (r.borrow() && r.borrowDialogues()) {
                // earlier assistant turns of the preference training dialogues, weakly labelled, fit split only
                List<LabelledText> turns = new ArrayList<>();
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (PreferencePair p : wb.preference("train")) {
                    String[] parts = p.prompt().split("\n\nAssistant: ");
                    for (int k = 1; k < parts.length; k++) {
                        String turn = parts[k].split("\n\nHuman: ")[0].strip();
                        int label = RefusalAugmentation.weakLabel(turn);
                        if (!turn.isEmpty() && label >= 0 && seen.add(turn)) {
                            turns.add(new LabelledText(null, turn, label));
                        }
                    }
                }
                List<TextEmbedding> turnsE = wb.embedTexts(turns, "preference-train-dialogue-turns");
                for (int k = 0; k < turns.size(); k++) {
                    source.add(-1);
                    all.add(turns.get(k));
                    emb.add(turnsE.get(k));
                }
                log.printf(Locale.ROOT, "refusal: %d assistant turns of the preference dialogues join the fit split%n", turns.size());
            }
            if (r.toxicCompliance() > 0) {
                // insults are not refusals: a seeded sample of toxic training texts, compliance, fit split only
                List<LabelledText> sample = toxicComplianceSample(wb, r.toxicCompliance(), seed);
                // only the sample is embedded (a head reading intermediate layers needs them for these rows alone)
                List<TextEmbedding> sampleE = wb.embedTexts(sample, "toxicity-train-toxic-sample-" + seed);
                for (int k = 0; k < sample.size(); k++) {
                    source.add(-1);
                    all.add(sample.get(k));
                    emb.add(sampleE.get(k));
                }
                log.printf(Locale.ROOT, "refusal: %d toxic texts join the fit split as compliance%n", sample.size());
            }
            if (r.longRefusals() > 0) {
                // refusals with pages after them, made of fit-split originals only: the split is drawn from originals,
                // so the same split holds after these derived rows are added
                int[] src = source.stream().mapToInt(Integer::intValue).toArray();
                int[][] split = Splits.derived(Workbench.labels(all), src, BinaryHeadTrainer.Options.defaults(r.grid()).validationFraction(), seed);
                java.util.BitSet fit = new java.util.BitSet();
                for (int i : split[0]) {
                    if (src[i] == i) {
                        fit.set(i);
                    }
                }
                List<RefusalAugmentation.Row> longRows = RefusalAugmentation.longRefusals(all, fit::get, r.longRefusals(), seed);
                List<LabelledText> longTexts = longRows.stream().map(RefusalAugmentation.Row::row).toList();
                List<TextEmbedding> longE = wb.embedTexts(longTexts, "refusal-long-" + seed + "-" + longRows.size());
                for (int k = 0; k < longRows.size(); k++) {
                    source.add(longRows.get(k).source());
                    all.add(longTexts.get(k));
                    emb.add(longE.get(k));
                }
                log.printf(Locale.ROOT, "refusal: %d long partial refusals join the fit split%n", longRows.size());
            }
            return binary(wb, "refusal", REFUSAL_LABELS, all, source.stream().mapToInt(Integer::intValue).toArray(), emb, dev,
                    wb.embedTexts(dev, "refusal-dev"), r, seed, log);
        }
        return binary(wb, "refusal", REFUSAL_LABELS, train, wb.embedTexts(train, "refusal-train"), dev,
                wb.embedTexts(dev, "refusal-dev"), r, seed, log);
    }

    /** A seeded sample of {@code n} toxic texts of toxicity/train.jsonl, labelled compliance (0): an insult is not a refusal. */
    static List<LabelledText> toxicComplianceSample(Workbench wb, int n, long seed) {
        List<LabelledText> tox = wb.toxicity("train");
        List<Integer> toxic = new ArrayList<>();
        for (int i = 0; i < tox.size(); i++) {
            if (tox.get(i).label() == 1) {
                toxic.add(i);
            }
        }
        java.util.Collections.shuffle(toxic, new java.util.Random(seed));
        List<LabelledText> sample = new ArrayList<>();
        for (int k = 0; k < Math.min(n, toxic.size()); k++) {
            sample.add(new LabelledText(null, tox.get(toxic.get(k)).text(), 0));
        }
        return sample;
    }

    static List<TextEmbedding> withPieces(List<TextEmbedding> texts, List<List<int[]>> pieces) {
        List<TextEmbedding> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            out.add(texts.get(i).withPieces(pieces.get(i)));
        }
        return out;
    }

    /** A refusal head for one opening length: what {@link #refusalOverOpenings} tried. */
    public record OpeningTrial(int tokens, HeadModel model, double validationAp, double devFlaggedF1, double devMacroF1,
                               double validationApChatGpt, double validationApBorrowed) {
    }

    /** The refusal head of highest validation PR-AUC over the opening lengths tried, and every trial. */
    public record OpeningChoice(BinaryResult chosen, List<OpeningTrial> trials) {
    }

    /**
     * One set of intermediate encoder layers tried for a head ({@link FeatureSpec#taps()}): what validation and dev said,
     * and why the head was not eligible ({@code null} when it was).
     */
    public record TapTrial(List<String> taps, HeadModel model, double validationAp, double devFlaggedF1, double devMacroF1, String rejected) {
    }

    /** The head whose best candidate had the highest validation PR-AUC over the eligible tap sets tried, and every trial. */
    public record TapChoice(BinaryResult chosen, List<TapTrial> trials) {
    }

    /**
     * Trains {@code train} once per tap set (the empty set: the final layer only) and keeps the head
     * whose best candidate has the highest validation PR-AUC among those {@code gate} accepts (it
     * returns {@code null} for a head that behaves as a default must, else the reason): which layers a
     * head reads is chosen like its model, on the validation split, and a head that fails the
     * behaviour the defaults promise is not eligible. {@code first}, when given, is the result for the
     * first candidate, already trained.
     *
     * @throws IllegalStateException when the gate accepts no candidate
     */
    public static TapChoice overTaps(List<List<String>> candidates, BinaryResult first,
                                     java.util.function.Function<List<String>, BinaryResult> train,
                                     java.util.function.Function<EmbeddingHead, String> gate, PrintStream log) {
        List<Tried<List<String>>> tried = chooseByValidation(candidates, first, train, gate, log, t -> "intermediate layers: " + Taps.describe(t));
        List<TapTrial> trials = new ArrayList<>();
        tried.forEach(t -> trials.add(new TapTrial(t.candidate(), t.result().fitted().model(), t.validationAp(), t.result().dev().flaggedF1(),
                t.result().dev().macroF1(), t.rejected())));
        return new TapChoice(best(tried, trials), trials);
    }

    /** One lexicon size tried for a head ({@link BinaryRecipe#withLexicon}; 0: none). */
    public record LexiconTrial(int words, HeadModel model, double validationAp, double devFlaggedF1, double devMacroF1, String rejected) {
    }

    /** The head whose best candidate had the highest validation PR-AUC over the eligible lexicon sizes tried, and every trial. */
    public record LexiconChoice(BinaryResult chosen, List<LexiconTrial> trials) {
    }

    /**
     * Trains {@code train} once per lexicon size ({@code first}: the result for {@code sizes[0]}, reused when not
     * {@code null}) and keeps the eligible head of highest validation PR-AUC, as {@link #overTaps} does for layers.
     */
    public static LexiconChoice overLexicons(int[] sizes, BinaryResult first, java.util.function.IntFunction<BinaryResult> train,
                                             java.util.function.Function<EmbeddingHead, String> gate, PrintStream log) {
        List<Integer> ks = java.util.Arrays.stream(sizes).boxed().toList();
        List<Tried<Integer>> tried = chooseByValidation(ks, first, train::apply, gate, log, k -> "lexicon: " + k + " word pieces");
        List<LexiconTrial> trials = new ArrayList<>();
        tried.forEach(t -> trials.add(new LexiconTrial(t.candidate(), t.result().fitted().model(), t.validationAp(),
                t.result().dev().flaggedF1(), t.result().dev().macroF1(), t.rejected())));
        return new LexiconChoice(best(tried, trials), trials);
    }

    /** One candidate setting, its head, the head's validation PR-AUC and why it is not eligible ({@code null}: it is). */
    private record Tried<T>(T candidate, BinaryResult result, double validationAp, String rejected) {
    }

    private static <T> List<Tried<T>> chooseByValidation(List<T> candidates, BinaryResult first, java.util.function.Function<T, BinaryResult> train,
                                                         java.util.function.Function<EmbeddingHead, String> gate, PrintStream log,
                                                         java.util.function.Function<T, String> describe) {
        List<Tried<T>> out = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            T c = candidates.get(i);
            log.printf(Locale.ROOT, "%s%n", describe.apply(c));
            BinaryResult res = i == 0 && first != null ? first : train.apply(c);
            String rejected = gate.apply(res.head());
            if (rejected != null) {
                log.printf(Locale.ROOT, "  not eligible: %s%n", rejected);
            }
            out.add(new Tried<>(c, res, validationAp(res), rejected));
        }
        return out;
    }

    /** The eligible result of highest validation PR-AUC (the first of equals). */
    private static <T> BinaryResult best(List<Tried<T>> tried, List<?> trials) {
        BinaryResult best = null;
        double bestAp = Double.NEGATIVE_INFINITY;
        for (Tried<T> t : tried) {
            if (t.rejected() == null && t.validationAp() > bestAp) {
                bestAp = t.validationAp();
                best = t.result();
            }
        }
        if (best == null) {
            throw new IllegalStateException("no candidate gave an eligible head: " + trials);
        }
        return best;
    }

    static double validationAp(BinaryResult res) {
        return res.fitted().candidates().stream().mapToDouble(BinaryHeadTrainer.Candidate::averagePrecision).max().orElse(Double.NaN);
    }

    /**
     * {@link #refusal} once per opening length ({@code 0}: no opening; otherwise the recipe's poolings of
     * the response's first {@code n} tokens beside its windows), keeping the head whose best candidate has
     * the highest validation PR-AUC: the opening length is chosen like the model, on the validation split.
     */
    public static OpeningChoice refusalOverOpenings(Workbench wb, BinaryRecipe r, int[] openings, long seed, PrintStream log) {
        BinaryResult best = null;
        double bestAp = Double.NEGATIVE_INFINITY;
        List<OpeningTrial> trials = new ArrayList<>();
        for (int n : openings) {
            FeatureSpec base = new FeatureSpec(r.features().poolings(), r.features().normalize(), r.features().pairFeatures(),
                    0, List.of(), r.features().taps(), r.features().lexicon());
            BinaryRecipe rn = r.withFeatures(n == 0 ? base : base.withOpening(n, base.poolings().toArray(new dev.parapet.onnx.Pooling[0])));
            log.printf(Locale.ROOT, "refusal, opening %d tokens%n", n);
            BinaryResult res = refusal(wb, rn, seed, log);
            double ap = validationAp(res);
            double[] bySource = validationApBySource(wb, res, seed);
            trials.add(new OpeningTrial(n, res.fitted().model(), ap, res.dev().flaggedF1(), res.dev().macroF1(), bySource[0], bySource[1]));
            if (ap > bestAp) {
                bestAp = ap;
                best = res;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no opening lengths to try");
        }
        return new OpeningChoice(best, trials);
    }

    /**
     * Diagnostics only: a refusal head's validation PR-AUC on the ChatGPT originals and on the borrowed Anthropic turns
     * (augmented recipes: originals and their copies come first, borrowed turns after them); selection uses the whole split.
     */
    static double[] validationApBySource(Workbench wb, BinaryResult res, long seed) {
        int originals = RefusalAugmentation.augment(wb.refusal("train"), seed).size();
        int[] idx = res.fitted().validationIndex();
        double[] vp = res.fitted().validationProbabilities();
        int[] vy = res.fitted().validationLabels();
        List<Double> pc = new ArrayList<>();
        List<Integer> yc = new ArrayList<>();
        List<Double> pb = new ArrayList<>();
        List<Integer> yb = new ArrayList<>();
        for (int k = 0; k < idx.length; k++) {
            (idx[k] < originals ? pc : pb).add(vp[k]);
            (idx[k] < originals ? yc : yb).add(vy[k]);
        }
        return new double[] {averagePrecision(pc, yc), averagePrecision(pb, yb)};
    }

    private static double averagePrecision(List<Double> p, List<Integer> y) {
        if (y.stream().distinct().count() < 2) {
            return Double.NaN;
        }
        return Metrics.averagePrecision(p.stream().mapToDouble(Double::doubleValue).toArray(), y.stream().mapToInt(Integer::intValue).toArray());
    }

    static BinaryResult binary(Workbench wb, String name, List<String> labels, List<LabelledText> train, List<TextEmbedding> trainE,
                               List<LabelledText> dev, List<TextEmbedding> devE, BinaryRecipe r, long seed, PrintStream log) {
        return binary(wb, name, labels, train, null, trainE, dev, devE, r, seed, log);
    }

    /** {@code source}: per training row the row it was derived from, or {@code null} when all are originals. */
    static BinaryResult binary(Workbench wb, String name, List<String> labels, List<LabelledText> train, int[] source,
                               List<TextEmbedding> trainE, List<LabelledText> dev, List<TextEmbedding> devE, BinaryRecipe r, long seed,
                               PrintStream log) {
        return binary(wb, name, labels, train, source, null, trainE, dev, devE, r, seed, log);
    }

    /** {@code groups}: per training text its data source for {@link BinaryRecipe#sourceBalanced()}, or {@code null}. */
    static BinaryResult binary(Workbench wb, String name, List<String> labels, List<LabelledText> train, int[] source, int[] groups,
                               List<TextEmbedding> trainE, List<LabelledText> dev, List<TextEmbedding> devE, BinaryRecipe r, long seed,
                               PrintStream log) {
        if (groups != null && (r.windowRows() || groups.length != train.size())) {
            throw new IllegalArgumentException("source balancing needs one source per training text and whole-text rows");
        }
        if (r.features().hasOpening()) {
            if (r.windowRows() || r.firstWindow()) {
                throw new IllegalArgumentException("features with an opening train on whole-text rows only");
            }
            trainE = wb.withOpenings(trainE, train, name + "-train-" + train.size(), r.features().openingTokens());
            devE = wb.withOpenings(devE, dev, name + "-dev", r.features().openingTokens());
        }
        if (r.lexiconSize() > 0 && r.features().lexicon().length == 0) {
            // token ids beside the cached embeddings (the tokenizer only): each window's, as the runtime cuts them
            List<List<int[]>> trainPieces = wb.windowPieces(train.stream().map(LabelledText::text).toList());
            List<List<int[]>> devPieces = wb.windowPieces(dev.stream().map(LabelledText::text).toList());
            int[] lexicon = Lexicons.mostFrequent(trainPieces, r.lexiconSize());
            trainE = withPieces(trainE, trainPieces);
            devE = withPieces(devE, devPieces);
            r = r.withFeatures(r.features().withLexicon(lexicon));
            if (log != null) {
                log.printf(Locale.ROOT, "%s: lexicon of %d word pieces%n", name, lexicon.length);
            }
        }
        long t0 = System.nanoTime();
        float[][] x;
        int[] y;
        int[] rowSource = source;
        int[] yText = Workbench.labels(train);
        if (r.windowRows()) {
            // each window is a row; the first window of a text stands for it in the split, later ones follow it
            List<PooledEmbedding> rows = new ArrayList<>();
            List<Integer> ys = new ArrayList<>();
            List<Integer> src = new ArrayList<>();
            int[] firstRow = new int[trainE.size()];
            for (int i = 0; i < trainE.size(); i++) {
                firstRow[i] = rows.size();
                for (PooledEmbedding w : trainE.get(i).windows()) {
                    int origin = source == null ? i : source[i];
                    src.add(origin == i && rows.size() == firstRow[i] ? rows.size() : firstRow[origin]);
                    rows.add(w);
                    ys.add(yText[i]);
                }
            }
            x = r.features().rowsOf(rows);
            y = ys.stream().mapToInt(Integer::intValue).toArray();
            rowSource = src.stream().mapToInt(Integer::intValue).toArray();
        } else if (r.firstWindow()) {
            List<PooledEmbedding> first = new ArrayList<>();
            trainE.forEach(t -> first.add(t.windows().get(0)));
            x = r.features().rowsOf(first);
            y = yText;
        } else {
            x = r.features().textRows(trainE);
            y = yText;
        }
        BinaryHeadTrainer.Options o = BinaryHeadTrainer.Options.defaults(r.grid()).withSeed(seed).withLog(log)
                .withPrecisionTarget(r.precisionTarget()).withMacroF1Threshold(r.macroF1Threshold());
        BinaryHeadTrainer.Fitted f = BinaryHeadTrainer.fit(x, y, rowSource, groups, o);
        double secs = (System.nanoTime() - t0) / 1e9;
        EmbeddingHead provisional = f.toHead(name, wb.encoder(), wb.maxLength(), r.features(), labels, Map.of());
        int[] yDev = Workbench.labels(dev);
        Evaluation ev = Evaluation.of(provisional, devE, yDev, true);
        Evaluation pooled = Evaluation.of(provisional, devE, yDev, false);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("task", name);
        meta.put("data", DATA.getOrDefault(name, name));
        meta.put("encoder_files", wb.encoder().onnxResource() + ", " + wb.encoder().tokenizerResource());
        meta.put("model", f.model().toString());
        meta.put("features", r.features().toString());
        meta.put("train_rows", x.length);
        meta.put("fit_rows", f.fitRows());
        meta.put("validation_rows", f.validationRows());
        meta.put("class_weights", groups != null ? "balanced within each data source" : "balanced");
        meta.put("augmentation", r.augment() ? "refusal openings removed or swapped" + (r.styles() != null ? ", style variants (other models' lead-ins and"
                + " refusal verbs), fit split only" : "") + " (RefusalAugmentation)"
                : r.detox() != null ? "ParaDetox toxic sentences and neutral rewrites (" + r.detox().name().toLowerCase(Locale.ROOT)
                + " style), fit split only (ToxicityAugmentation)" : "none");
        if (r.borrow()) {
            meta.put("borrowed_rows", "weakly labelled assistant turns of preference/train.jsonl (split like originals)");
        }
        if (r.toxicCompliance() > 0 && name.equals("refusal")) {
            meta.put("toxic_compliance_rows", r.toxicCompliance() + " toxic texts of toxicity/train.jsonl as compliance, fit split only");
        }
        meta.put("train_rows_from", r.windowRows() ? "each window of each text" : r.firstWindow() ? "the first window of each text"
                : "whole-text pooled embeddings");
        meta.put("threshold_rule", !Double.isNaN(r.precisionTarget()) ? "lowest threshold with precision >= " + r.precisionTarget()
                + " on the validation split" : r.macroF1Threshold() ? "max macro-F1 (both classes) on the validation split"
                : "max F1 of '" + labels.get(1) + "' on the validation split");
        meta.put("seed", seed);
        meta.put("dev_macro_f1", round(ev.macroF1()));
        meta.put("dev_f1_" + labels.get(1), round(ev.flaggedF1()));
        meta.put("dev_roc_auc", round(ev.rocAuc()));
        meta.put("dev_pr_auc", round(ev.averagePrecision()));
        meta.put("dev_rows", yDev.length);
        EmbeddingHead head = f.toHead(name, wb.encoder(), wb.maxLength(), r.features(), labels, meta);
        return new BinaryResult(head, f, ev, pooled, secs);
    }

    public static PreferenceResult preference(Workbench wb, PreferenceRecipe r, long seed, PrintStream log) {
        return preference(wb, r, UnaryOperator.identity(), seed, log);
    }

    /**
     * {@link #preference(Workbench, PreferenceRecipe, long, PrintStream)} with the preference pairs' prompts (train and dev)
     * seen through {@code promptView} (measurement: e.g. only the dialogue's last human turn).
     */
    static PreferenceResult preference(Workbench wb, PreferenceRecipe r, UnaryOperator<String> promptView, long seed, PrintStream log) {
        wb = wb.tapped(r.features().taps());
        long t0 = System.nanoTime();
        List<PreferencePair> hh = viewed(wb.preference("train"), promptView);
        List<PreferencePair> extra = r.helpfulnessPairs() ? PreferenceAugmentation.helpfulnessPairs(wb.refusal("train"), seed) : List.of();
        List<PreferencePair> all = new ArrayList<>(hh);
        all.addAll(extra);
        Workbench.PairEmbeddings hhE = wb.embedPairs(hh, "preference-train");
        List<TextEmbedding> prompts = new ArrayList<>(hhE.prompts());
        List<TextEmbedding> chosen = new ArrayList<>(hhE.chosen());
        List<TextEmbedding> rejected = new ArrayList<>(hhE.rejected());
        if (!extra.isEmpty()) {
            Workbench.PairEmbeddings exE = wb.embedPairs(extra, "preference-helpfulness-" + seed);
            prompts.addAll(exE.prompts());
            chosen.addAll(exE.chosen());
            rejected.addAll(exE.rejected());
        }
        FeatureSpec fs = r.features();
        float[][] xc = fs.pairRows(prompts, chosen);
        float[][] xr = fs.pairRows(prompts, rejected);
        double[] w = new double[all.size()];
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            w[i] = i < hh.size() ? 1.0 : r.extraWeight();
            // the helpfulness pairs of one prompt share a group, whatever form the prompt took
            groups.add(all.get(i).prompt().startsWith("Human: ") && i >= hh.size() ? all.get(i).prompt().substring(7) : all.get(i).prompt());
        }
        RewardHeadTrainer.Options o = new RewardHeadTrainer.Options(r.grid(), 0.15, seed, 2, r.minPreferenceQuantile(), log);
        boolean[] primary = new boolean[all.size()];
        for (int i = 0; i < hh.size(); i++) {
            primary[i] = true;
        }
        // the helpfulness pairs only train: selection, calibration and threshold look at preference pairs
        RewardHeadTrainer.Fitted f = RewardHeadTrainer.fit(xc, xr, w, groups, primary, o);
        double secs = (System.nanoTime() - t0) / 1e9;

        EmbeddingHead provisional = f.toHead("preference", wb.encoder(), wb.maxLength(), fs, PREFERENCE_LABELS, Map.of());
        List<PreferencePair> dev = viewed(wb.preference("dev"), promptView);
        Workbench.PairEmbeddings devE = wb.embedPairs(dev, "preference-dev");
        double[] sc = new double[dev.size()];
        double[] sr = new double[dev.size()];
        int chosenFlagged = 0;
        int rejectedFlagged = 0;
        for (int i = 0; i < dev.size(); i++) {
            sc[i] = provisional.score(provisional.pairFeatures(devE.prompts().get(i).pooled(), devE.chosen().get(i).pooled()));
            sr[i] = provisional.score(provisional.pairFeatures(devE.prompts().get(i).pooled(), devE.rejected().get(i).pooled()));
            chosenFlagged += provisional.probability(devE.prompts().get(i).pooled(), devE.chosen().get(i).pooled()) < provisional.threshold() ? 1 : 0;
            rejectedFlagged += provisional.probability(devE.prompts().get(i).pooled(), devE.rejected().get(i).pooled()) < provisional.threshold() ? 1 : 0;
        }
        double acc = Metrics.pairwiseAccuracy(sc, sr);
        Map<String, Double> helpful = helpfulness(wb, provisional, seed);

        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("task", "preference");
        meta.put("data", DATA.get("preference"));
        meta.put("encoder_files", wb.encoder().onnxResource() + ", " + wb.encoder().tokenizerResource());
        meta.put("model", f.model().toString());
        meta.put("features", fs.toString());
        meta.put("loss", "pairwise logistic (Bradley-Terry): -log sigmoid(r(prompt, chosen) - r(prompt, rejected))");
        meta.put("train_pairs_hh", hh.size());
        meta.put("train_pairs_helpfulness", extra.size());
        meta.put("helpfulness_pair_weight", r.extraWeight());
        meta.put("selection", "lowest pairwise loss on the validation split of preference/train.jsonl (helpfulness pairs only train)");
        meta.put("calibration_rule", "a: pairwise Platt slope on validation margins; b = -a * median validation reward");
        meta.put("threshold_rule", "minimum preference = " + r.minPreferenceQuantile() + " quantile of validation chosen responses");
        meta.put("seed", seed);
        meta.put("validation_pairwise_accuracy", round(f.validationAccuracy()));
        meta.put("dev_pairwise_accuracy", round(acc));
        meta.put("dev_pairs", dev.size());
        helpful.forEach((k, v) -> meta.put("dev_helpfulness_accuracy_" + k, round(v)));
        meta.put("rewards", "harmlessness (HH-RLHF harmless-base) plus helpfulness on harmless prompts: a real answer beats "
                + "a refusal or a non-answer");
        EmbeddingHead head = f.toHead("preference", wb.encoder(), wb.maxLength(), fs, PREFERENCE_LABELS, meta);
        return new PreferenceResult(head, f, acc, helpful, (double) chosenFlagged / dev.size(), (double) rejectedFlagged / dev.size(),
                hh.size(), extra.size(), secs);
    }

    private static List<PreferencePair> viewed(List<PreferencePair> pairs, UnaryOperator<String> promptView) {
        return pairs.stream().map(p -> new PreferencePair(promptView.apply(p.prompt()), p.chosen(), p.rejected())).toList();
    }

    /**
     * Held-out helpfulness check: ChatGPT's answers to the refusal dev prompts it complied with
     * (the rows of the original refusal data, not the XSTest rows, whose unsafe prompts should not
     * be answered) against two fixed non-answers and against a real refusal from the same file.
     */
    static Map<String, Double> helpfulness(Workbench wb, EmbeddingHead head, long seed) {
        List<LabelledText> dev = wb.refusal("dev");
        List<String> tone = Jsonl.readOptionalField(wb.file("refusal", "dev"), "tone");
        List<String> refusals = new ArrayList<>();
        List<LabelledText> answered = new ArrayList<>();
        for (int i = 0; i < dev.size(); i++) {
            if (tone.get(i) == null) {
                continue;
            }
            if (dev.get(i).label() == 1) {
                refusals.add(dev.get(i).text());
            } else {
                answered.add(dev.get(i));
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, List<String>> rejectedByKind = new LinkedHashMap<>();
        rejectedByKind.put("idk", new ArrayList<>());
        rejectedByKind.put("sorry", new ArrayList<>());
        rejectedByKind.put("refusal", new ArrayList<>());
        List<String> texts = new ArrayList<>();
        for (LabelledText a : answered) {
            texts.add(a.prompt());
            texts.add(a.text());
            rejectedByKind.get("idk").add("I don't know.");
            rejectedByKind.get("sorry").add("I'm sorry, I can't help with that.");
            rejectedByKind.get("refusal").add(refusals.get(rnd.nextInt(refusals.size())));
        }
        for (List<String> r : rejectedByKind.values()) {
            texts.addAll(r);
        }
        List<TextEmbedding> e = wb.embed(texts, "helpfulness-dev-" + seed);
        int n = answered.size();
        Map<String, Double> out = new LinkedHashMap<>();
        int kind = 0;
        for (String k : rejectedByKind.keySet()) {
            double[] good = new double[n];
            double[] bad = new double[n];
            for (int i = 0; i < n; i++) {
                PooledEmbedding p = e.get(2 * i).pooled();
                good[i] = head.score(head.pairFeatures(p, e.get(2 * i + 1).pooled()));
                bad[i] = head.score(head.pairFeatures(p, e.get(2 * n + kind * n + i).pooled()));
            }
            out.put(k, Metrics.pairwiseAccuracy(good, bad));
            kind++;
        }
        return out;
    }

    static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
