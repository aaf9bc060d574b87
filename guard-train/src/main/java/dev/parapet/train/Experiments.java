package dev.parapet.train;

import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.Pooling;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Measures alternatives for the report (features, encoders, models, data design): one run per
 * command line, one result line printed and appended to {@code guard-train/target/experiments.log}.
 * Everything is fitted and thresholded on the training files only; figures are on dev.
 *
 * <pre>
 * binary     --task toxicity|refusal --features cls,mean,max[:l2] --grid lr:1e-3,mlp:256:1e-4
 *            [--windows] [--lexical] [--also-encoder bge] [--taps 7] (0-based BERT layers read beside the last)
 *            [--lexicon 3000] (the head's lexicon) [--styles [both|lead-ins|verbs]] (refusal: RefusalAugmentation.styles)
 *            [--borrow-dialogues] (with --borrow: the preference dialogues' earlier assistant turns too, fit only)
 *            [--opening-sentence MIN_CHARS] (the opening read from the first sentence of at least MIN_CHARS characters;
 *            the --probe gate still scores the runtime's opening)
 *            [--sentence-max] (refusal, augmented: the head also scores each sentence; rules compared on validation)
 *            [--pair-encoder e5 [--pair-taps 5,9]] (refusal: the recipe on a second encoder too, and the mean of the two heads)
 * refusal-mil [--epochs 300] (a token-level refusal scorer: max over tokens of w.h_t; see refusalMil)
 * preference --features mean --pairs response,product,abs_diff --grid lr:1e-2 --helpfulness true --extra-weight 1
 *            [--prompt-view full|last-turn] (last-turn: the dialogue's last human turn as the prompt)
 * throughput --n 2000
 * </pre>
 * Common: {@code --data ../shared/datasets --encoder bge|minilm --max-length 256 --seed 13}; for measurement also
 * {@code --encoder bge-small-en-v1.5} (float32) or {@code e5}, with their LangChain4j jar added to the classpath
 * ({@link EncoderSpec#BGE_FP32}, {@link EncoderSpec#E5}).
 */
public final class Experiments {
    private Experiments() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String cmd = args.length > 0 ? args[0] : "";
        Path data = Path.of(a.getOrDefault("data", "../shared/datasets"));
        EncoderSpec enc = EncoderSpec.named(a.getOrDefault("encoder", "bge"));
        int maxLength = Integer.parseInt(a.getOrDefault("max-length", "256"));
        long seed = Long.parseLong(a.getOrDefault("seed", "13"));
        EmbeddingCache cache = new EmbeddingCache(Path.of(a.getOrDefault("cache", TrainDefaults.DEFAULT_CACHE)));
        PrintStream log = System.err;
        String line;
        long t0 = System.nanoTime();
        try (Workbench wb = new Workbench(data, cache, enc, maxLength, 2, log)) {
            switch (cmd) {
                case "binary" -> line = binary(wb, a, seed, cache, log);
                case "refusal-lab" -> line = refusalLab(wb, a, seed, log);
                case "preference" -> line = preference(wb, a, seed, log);
                case "preference-opening" -> line = preferenceOpening(wb, a, seed, log);
                case "refusal-openings" -> line = TrainDefaults.openingSection(Tasks.refusalOverOpenings(wb, TrainDefaults.REFUSAL,
                        TrainDefaults.REFUSAL_OPENINGS, seed, log));
                case "preference-joint" -> line = preferenceJoint(wb, a, seed, log);
                case "preference-bow" -> line = preferenceBow(wb, a, seed, log);
                case "refusal-mil" -> line = refusalMil(wb, a, seed, log);
                case "throughput" -> line = throughput(wb, Integer.parseInt(a.getOrDefault("n", "2000")));
                default -> throw new IllegalArgumentException("usage: Experiments binary|preference|throughput [--options]");
            }
        }
        line = line + String.format(Locale.ROOT, " | %.0fs", (System.nanoTime() - t0) / 1e9);
        System.out.println(line);
        Path logFile = Path.of(a.getOrDefault("log", "guard-train/target/experiments.log"));
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            Files.writeString(logFile, String.join(" ", args) + "\n    " + line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String binary(Workbench wb, Map<String, String> a, long seed, EmbeddingCache cache, PrintStream log) {
        String task = a.getOrDefault("task", "toxicity");
        if (a.containsKey("opening-sentence")) {
            // measurement: the opening is the text's first sentence (cut at the opening's tokens), not its first tokens
            int minChars = Integer.parseInt(a.get("opening-sentence"));
            wb = wb.withOpeningView(t -> firstSentence(t, minChars));
        }
        FeatureSpec fs = features(a.getOrDefault("features", "cls")).withTaps(Taps.parseLayers(a.getOrDefault("taps", "")));
        if (a.containsKey("opening")) {
            fs = fs.withOpening(Integer.parseInt(a.get("opening")),
                    features(a.getOrDefault("opening-features", "cls,mean,max")).poolings().toArray(new Pooling[0]));
        }
        List<HeadModel> grid = grid(a.getOrDefault("grid", "lr:1e-3"));
        boolean windows = a.containsKey("windows");
        String prefix = String.format(Locale.ROOT, "%s %s L=%d %s %s%s%s", task, wb.encoder().name(), wb.maxLength(), fs, a.getOrDefault("grid", "lr:1e-3"),
                windows ? " windows" : a.containsKey("first-window") ? " first-window" : "", a.containsKey("augment") ? " augmented" + (a.containsKey("borrow") ? "+borrowed" : "") : "");
        if (!a.containsKey("lexical") && !a.containsKey("also-encoder") && !a.containsKey("bow") && !a.containsKey("pooled")) {
            Tasks.BinaryRecipe r = new Tasks.BinaryRecipe(fs, grid, windows, Double.NaN, a.containsKey("augment"), a.containsKey("borrow"), a.containsKey("first-window"));
            if (a.containsKey("source-balanced")) {
                r = r.sourceBalancing();
                prefix += " source-balanced";
            }
            if (a.containsKey("toxic-compliance")) {
                r = r.withToxicCompliance(Integer.parseInt(a.get("toxic-compliance")));
                prefix += " +toxic-compliance(" + a.get("toxic-compliance") + ")";
            }
            if (a.containsKey("long-refusals")) {
                r = r.withLongRefusals(Integer.parseInt(a.get("long-refusals")));
                prefix += " +long-refusals(" + a.get("long-refusals") + ")";
            }
            if (a.containsKey("lexicon")) {
                r = r.withLexicon(Integer.parseInt(a.get("lexicon")));
                prefix += " +lexicon(" + a.get("lexicon") + ")";
            }
            if (a.containsKey("borrow-dialogues")) {
                r = r.withDialogueTurns();
                prefix += " +dialogue-turns";
            }
            if (a.containsKey("styles")) {
                String which = a.get("styles") == null || a.get("styles").isEmpty() || a.get("styles").equals("true") ? "both" : a.get("styles");
                r = r.withStyles(which);
                prefix += " +styles(" + which + ")";
            }
            if (a.containsKey("detox")) {
                r = r.withDetoxPairs(ToxicityAugmentation.Style.valueOf(a.get("detox").toUpperCase(Locale.ROOT)));
                prefix += " +paradetox(" + a.get("detox") + ")";
            }
            if (a.containsKey("macro-threshold")) {
                r = r.macroF1Thresholding();
                prefix += " macro-F1-threshold";
            }
            Tasks.BinaryResult res = task.equals("toxicity") ? Tasks.toxicity(wb, r, seed, log) : Tasks.refusal(wb, r, seed, log);
            log.println(res.dev().report());
            if (a.containsKey("dump")) {
                dump(Path.of(a.get("dump")), dev(wb, task), res.dev());
            }
            if (a.containsKey("probe")) {
                try (dev.parapet.onnx.TextEncoder enc = dev.parapet.onnx.TextEncoder.builder(wb.encoder().source()).maxLength(wb.maxLength())
                        .taps(res.head().taps()).build()) {
                    for (String t : List.of("You are a worthless idiot for asking that.", "I hope you die, you worthless idiot",
                            "I'm sorry, but I can't help with that request.", "The capital of France is Paris.",
                            "I cannot provide instructions for making explosives. Explosives are dangerous and making them is illegal.")) {
                        prefix += String.format(Locale.ROOT, " | probe %.3f '%s'", TrainDefaults.maxWindow(res.head(), enc, t), t);
                    }
                }
                String why = task.equals("refusal") ? TrainDefaults.behaviour(res.head(), TrainDefaults.REFUSAL_PROBES, TrainDefaults.COMPLIANCE_PROBES)
                        : TrainDefaults.behaviour(res.head(), TrainDefaults.TOXIC_PROBES, TrainDefaults.CLEAN_PROBES);
                prefix += " | gate " + (why == null ? "passed" : "failed: " + why);
            }
            return String.format(Locale.ROOT, "%s -> chose %s thr %.3f | dev macroF1 %.4f flaggedF1 %.4f ROC %.4f PR %.4f | pooled-eval macroF1 %.4f flaggedF1 %.4f%s",
                    prefix, res.fitted().model(), res.head().threshold(), res.dev().macroF1(), res.dev().flaggedF1(), res.dev().rocAuc(),
                    res.dev().averagePrecision(), res.devPooled().macroF1(), res.devPooled().flaggedF1(), subsets(wb, task, res.dev()))
                    + (task.equals("toxicity") && !windows ? validationBySource(wb, res.fitted()) : "") + macroThreshold(res.fitted(), res.dev())
                    + (task.equals("refusal") && r.augment() ? refusalValidationBySource(wb, res, seed) : "")
                    + (a.containsKey("sentence-max") && task.equals("refusal") ? sentenceMax(wb, r, res, seed, log) : "")
                    + (a.containsKey("pair-encoder") && task.equals("refusal") ? pairedEncoders(wb, cache, r, res, a, seed, log) : "");
        }
        // extra feature blocks that the head format cannot express: whole-text pooled rows, evaluated the same way
        List<LabelledText> train = task.equals("toxicity") ? wb.toxicity("train") : wb.refusal("train");
        List<LabelledText> dev = task.equals("toxicity") ? wb.toxicity("dev") : wb.refusal("dev");
        Workbench tw = wb.tapped(fs.taps());
        float[][] xTrain = fs.textRows(tw.embedTexts(train, task + "-train"));
        float[][] xDev = fs.textRows(tw.embedTexts(dev, task + "-dev"));
        if (a.containsKey("bow")) {
            float[][][] bw = bagOfWordPieces(wb.encoder(), wb.maxLength(), train, dev, Integer.parseInt(a.get("bow")));
            xTrain = concat(xTrain, bw[0]);
            xDev = concat(xDev, bw[1]);
            prefix += " + bag of " + bw[0][0].length + " word pieces";
        }
        if (a.containsKey("also-encoder")) {
            try (Workbench other = new Workbench(wb.data(), cache, EncoderSpec.named(a.get("also-encoder")), wb.maxLength(), 2, log)) {
                FeatureSpec fs2 = features(a.getOrDefault("also-features", a.getOrDefault("features", "cls")));
                xTrain = concat(xTrain, fs2.textRows(other.embedTexts(train, task + "-train")));
                xDev = concat(xDev, fs2.textRows(other.embedTexts(dev, task + "-dev")));
                prefix += " + " + other.encoder().name() + " " + fs2;
            }
        }
        if (a.containsKey("lexical")) {
            xTrain = concat(xTrain, lexical(train));
            xDev = concat(xDev, lexical(dev));
            prefix += " + lexical";
        }
        BinaryHeadTrainer.Fitted f = BinaryHeadTrainer.fit(xTrain, Workbench.labels(train),
                BinaryHeadTrainer.Options.defaults(grid).withSeed(seed).withLog(log));
        int n = xTrain[0].length;
        EmbeddingHead.Builder b = EmbeddingHead.builder("probe").encoder("probe", "0", 512)
                .poolings(List.of(Pooling.MEAN)).calibration(f.calibration().a(), f.calibration().b())
                .labels(task.equals("toxicity") ? Tasks.TOXICITY_LABELS : Tasks.REFUSAL_LABELS).threshold(f.threshold());
        f.layers().forEach(b::layer);
        EmbeddingHead h = b.build();
        double[] p = new double[xDev.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = h.probability(xDev[i]);
        }
        Evaluation ev = Evaluation.of(h.labels(), p, Workbench.labels(dev), f.threshold());
        log.println(ev.report());
        return String.format(Locale.ROOT, "%s (%d features) -> chose %s thr %.3f | pooled-eval macroF1 %.4f flaggedF1 %.4f ROC %.4f PR %.4f",
                prefix, n, f.model(), f.threshold(), ev.macroF1(), ev.flaggedF1(), ev.rocAuc(), ev.averagePrecision());
    }

    /**
     * Measurement only: which of the {@code k} word pieces most frequent in {@code train} (by the number of texts holding
     * them, special tokens left out) each text holds within its first {@code maxLength} tokens, as a 0/1 vector
     * scaled to unit length (a text with none is all zeros). A cheap lexical signal beside the frozen embedding.
     */
    static float[][][] bagOfWordPieces(EncoderSpec enc, int maxLength, List<LabelledText> train, List<LabelledText> dev, int k) {
        try (java.io.InputStream in = enc.openTokenizer();
             ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tok = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(in,
                     Map.of("addSpecialTokens", "false", "truncation", "true", "maxLength", Integer.toString(maxLength)))) {
            List<long[]> ids = new ArrayList<>();
            for (LabelledText t : train) {
                ids.add(tok.encode(t.text()).getIds());
            }
            Map<Long, Integer> df = new java.util.HashMap<>();
            for (long[] x : ids) {
                for (long id : java.util.Arrays.stream(x).distinct().toArray()) {
                    df.merge(id, 1, Integer::sum);
                }
            }
            List<Long> vocab = df.entrySet().stream().filter(e -> e.getKey() > 103 || e.getKey() < 100)
                    .sorted(Map.Entry.<Long, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(k).map(Map.Entry::getKey).toList();
            Map<Long, Integer> col = new java.util.HashMap<>();
            for (int j = 0; j < vocab.size(); j++) {
                col.put(vocab.get(j), j);
            }
            float[][] xt = new float[train.size()][];
            for (int i = 0; i < xt.length; i++) {
                xt[i] = presence(ids.get(i), col);
            }
            float[][] xd = new float[dev.size()][];
            for (int i = 0; i < xd.length; i++) {
                xd[i] = presence(tok.encode(dev.get(i).text()).getIds(), col);
            }
            return new float[][][] {xt, xd};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[] presence(long[] ids, Map<Long, Integer> col) {
        float[] v = new float[col.size()];
        int n = 0;
        for (long id : ids) {
            Integer j = col.get(id);
            if (j != null && v[j] == 0) {
                v[j] = 1;
                n++;
            }
        }
        if (n > 0) {
            float s = (float) (1 / Math.sqrt(n));
            for (int j = 0; j < v.length; j++) {
                v[j] *= s;
            }
        }
        return v;
    }

    /**
     * Refusal training-data designs on the cached embeddings (no new encoder pass): which
     * {@link RefusalAugmentation} copies to keep ({@code --keep all|orig|plain|plain-refusal|no-swap-compliance}),
     * whether borrowed preference turns join the split or only the fit rows ({@code --borrow none|fit|split}),
     * and optionally {@link Lexical} signals beside the embedding ({@code --lexical}, measured only: not in the head format).
     */
    static String refusalLab(Workbench root, Map<String, String> a, long seed, PrintStream log) {
        List<String> taps = Taps.parseLayers(a.getOrDefault("taps", ""));
        Workbench wb = root.tapped(taps);
        FeatureSpec fs = features(a.getOrDefault("features", "cls,mean,max:l2")).withTaps(taps);
        List<HeadModel> grid = grid(a.getOrDefault("grid", "lr:1"));
        String keep = a.getOrDefault("keep", "all");
        String borrow = a.getOrDefault("borrow", "split");
        List<LabelledText> train = wb.refusal("train");
        int n = train.size();
        List<RefusalAugmentation.Row> rows = RefusalAugmentation.augment(train, seed);
        List<TextEmbedding> augE = wb.embedTexts(rows.stream().map(RefusalAugmentation.Row::row).toList(), "refusal-train-augmented-" + seed);
        List<LabelledText> all = new ArrayList<>();
        List<Integer> source = new ArrayList<>();
        List<TextEmbedding> emb = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            boolean copy = i >= n;
            boolean swapped = copy && (i - n) % 2 == 1; // copies come in (opening removed, opening swapped) pairs
            int label = rows.get(i).row().label();
            boolean take = !copy || switch (keep) {
                case "all" -> true;
                case "orig" -> false;
                case "plain" -> !swapped;
                case "plain-refusal" -> !swapped && label == 1;
                case "no-swap-compliance" -> !(swapped && label == 0);
                default -> throw new IllegalArgumentException("--keep " + keep);
            };
            if (take) {
                // originals keep their own index; copies point at their source's position in the kept list (originals come first)
                source.add(copy ? rows.get(i).source() : all.size());
                all.add(rows.get(i).row());
                emb.add(augE.get(i));
            }
        }
        if (!borrow.equals("none")) {
            List<PreferencePair> hh = wb.preference("train");
            Workbench.PairEmbeddings hhE = wb.embedPairs(hh, "preference-train");
            for (int i = 0; i < hh.size(); i++) {
                for (int k = 0; k < 2; k++) {
                    String text = k == 0 ? hh.get(i).chosen() : hh.get(i).rejected();
                    int label = RefusalAugmentation.weakLabel(text);
                    if (label >= 0) {
                        source.add(borrow.equals("split") ? all.size() : -1);
                        all.add(new LabelledText(hh.get(i).prompt(), text, label));
                        emb.add(k == 0 ? hhE.chosen().get(i) : hhE.rejected().get(i));
                    }
                }
            }
        }
        if (a.containsKey("toxic-compliance")) {
            // as the shipped recipe: toxic texts as compliance rows, fit split only
            List<LabelledText> sample = Tasks.toxicComplianceSample(wb, Integer.parseInt(a.get("toxic-compliance")), seed);
            List<TextEmbedding> sampleE = wb.embedTexts(sample, "toxicity-train-toxic-sample-" + seed);
            for (int k = 0; k < sample.size(); k++) {
                source.add(-1);
                all.add(sample.get(k));
                emb.add(sampleE.get(k));
            }
        }
        int[] src = source.stream().mapToInt(Integer::intValue).toArray();
        List<LabelledText> dev = wb.refusal("dev");
        List<TextEmbedding> devE = wb.embedTexts(dev, "refusal-dev");
        String prefix = String.format(Locale.ROOT, "refusal-lab %s L=%d %s %s keep=%s borrow=%s%s rows=%d", wb.encoder().name(), wb.maxLength(), fs,
                a.getOrDefault("grid", "lr:1"), keep, borrow, (a.containsKey("lexical") ? " +lexical" : "")
                + (a.containsKey("prefix") ? (a.containsKey("prefix-only") ? " prefix-only " : " +prefix ") + a.get("prefix") + " "
                + a.getOrDefault("prefix-features", "cls,mean,max:l2") : ""), all.size());
        if (!a.containsKey("lexical") && !a.containsKey("prefix") && !a.containsKey("bow") && !a.containsKey("prompt-block")) {
            Tasks.BinaryRecipe r = new Tasks.BinaryRecipe(fs, grid);
            Tasks.BinaryResult res = Tasks.binary(wb, "refusal", Tasks.REFUSAL_LABELS, all, src, emb, dev, devE, r, seed, log);
            log.println(res.dev().report());
            if (a.containsKey("dump")) {
                dump(Path.of(a.get("dump")), dev, res.dev());
            }
            if (a.containsKey("out")) {
                try {
                    Path out = Path.of(a.get("out"));
                    Files.createDirectories(out.toAbsolutePath().getParent());
                    try (java.io.OutputStream os = Files.newOutputStream(out)) {
                        res.head().write(os);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return String.format(Locale.ROOT, "%s -> chose %s thr %.3f | dev macroF1 %.4f flaggedF1 %.4f ROC %.4f PR %.4f | pooled-eval flaggedF1 %.4f%s",
                    prefix, res.fitted().model(), res.head().threshold(), res.dev().macroF1(), res.dev().flaggedF1(), res.dev().rocAuc(),
                    res.dev().averagePrecision(), res.devPooled().flaggedF1(), subsets(wb, "refusal", res.dev()));
        }
        float[][] x = fs.textRows(emb);
        float[][] xDev = fs.textRows(devE);
        if (a.containsKey("prefix")) {
            // the first N tokens of each response embedded on their own: where a refusal states itself
            int n0 = Integer.parseInt(a.get("prefix"));
            FeatureSpec pfs = features(a.getOrDefault("prefix-features", "cls,mean,max:l2")).withTaps(taps);
            try (Workbench pw0 = new Workbench(wb.data(), cacheOf(a), wb.encoder(), n0, 2, log)) {
                Workbench pw = pw0.tapped(taps);
                List<TextEmbedding> pe = pw.embedTexts(all, "refusal-lab-" + keep + "-" + borrow + "-" + seed);
                List<TextEmbedding> pd = pw.embedTexts(dev, "refusal-dev");
                float[][] px = pfs.rowsOf(pe.stream().map(t -> t.windows().get(0)).toList());
                float[][] pxd = pfs.rowsOf(pd.stream().map(t -> t.windows().get(0)).toList());
                x = a.containsKey("prefix-only") ? px : concat(x, px);
                xDev = a.containsKey("prefix-only") ? pxd : concat(xDev, pxd);
            }
        }
        if (a.containsKey("lexical")) {
            x = concat(x, lexical(all));
            xDev = concat(xDev, lexical(dev));
        }
        if (a.containsKey("bow")) {
            // --bow-tokens N: only the response's first N word pieces (where a refusal states itself)
            int tokens = Integer.parseInt(a.getOrDefault("bow-tokens", Integer.toString(wb.maxLength())));
            float[][][] bw = bagOfWordPieces(wb.encoder(), tokens, all, dev, Integer.parseInt(a.get("bow")));
            x = concat(x, bw[0]);
            xDev = concat(xDev, bw[1]);
            prefix += " +bag of " + bw[0][0].length + " word pieces of the first " + tokens + " tokens";
        }
        if (a.containsKey("prompt-block")) {
            // the prompt beside the response: its CLS + mean (L2) and their product with the response's (a refusal answers
            // something other than what was asked); rows without a prompt get the empty prompt
            FeatureSpec pfs = features("cls,mean:l2");
            java.util.function.Function<List<LabelledText>, List<String>> prompts = rs -> rs.stream()
                    .map(r -> r.prompt() == null ? "" : r.prompt()).toList();
            float[][] pp = pfs.textRows(root.embed(prompts.apply(all), "refusal-lab-prompts-" + keep + "-" + borrow + "-" + seed));
            float[][] ppd = pfs.textRows(root.embed(prompts.apply(dev), "refusal-dev-prompts"));
            float[][] rr = pfs.textRows(emb);
            float[][] rrd = pfs.textRows(devE);
            x = concat(x, concat(pp, product(pp, rr)));
            xDev = concat(xDev, concat(ppd, product(ppd, rrd)));
            prefix += " +prompt block";
        }
        BinaryHeadTrainer.Fitted f = BinaryHeadTrainer.fit(x, Workbench.labels(all), src,
                BinaryHeadTrainer.Options.defaults(grid).withSeed(seed).withLog(log));
        EmbeddingHead.Builder b = EmbeddingHead.builder("probe").encoder("probe", "0", 512)
                .poolings(List.of(Pooling.MEAN)).calibration(f.calibration().a(), f.calibration().b())
                .labels(Tasks.REFUSAL_LABELS).threshold(f.threshold());
        f.layers().forEach(b::layer);
        EmbeddingHead h = b.build();
        double[] p = new double[xDev.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = h.probability(xDev[i]);
        }
        Evaluation ev = Evaluation.of(h.labels(), p, Workbench.labels(dev), f.threshold());
        log.println(ev.report());
        return String.format(Locale.ROOT, "%s -> chose %s thr %.3f | pooled-eval macroF1 %.4f flaggedF1 %.4f ROC %.4f PR %.4f%s",
                prefix, f.model(), f.threshold(), ev.macroF1(), ev.flaggedF1(), ev.rocAuc(), ev.averagePrecision(), subsets(wb, "refusal", ev));
    }

    private static float[][] product(float[][] a, float[][] b) {
        float[][] out = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new float[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                out[i][j] = a[i][j] * b[i][j];
            }
        }
        return out;
    }

    /** Toxicity validation split (from train) per source, at the chosen threshold: what selection could look at. */
    static String validationBySource(Workbench wb, BinaryHeadTrainer.Fitted f) {
        List<String> src = Jsonl.readOptionalField(wb.file("toxicity", "train"), "source");
        int[] yAll = Workbench.labels(wb.toxicity("train"));
        int[] idx = f.validationIndex();
        double[] p = f.validationProbabilities();
        int[] y = new int[idx.length];
        List<String> key = new ArrayList<>();
        for (int i = 0; i < idx.length; i++) {
            y[i] = yAll[idx[i]];
            key.add(src.get(idx[i]));
        }
        Evaluation all = Evaluation.of(List.of("0", "1"), p, y, f.threshold());
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, " || validation n=%d macroF1 %.4f flaggedF1 %.4f ROC %.4f",
                idx.length, all.macroF1(), all.flaggedF1(), all.rocAuc()));
        Map<String, List<Integer>> parts = new java.util.TreeMap<>();
        for (int i = 0; i < key.size(); i++) {
            parts.computeIfAbsent(key.get(i), k -> new ArrayList<>()).add(i);
        }
        double meanMacro = 0;
        for (Map.Entry<String, List<Integer>> e : parts.entrySet()) {
            int[] ii = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            double[] pp = new double[ii.length];
            int[] yy = new int[ii.length];
            for (int i = 0; i < ii.length; i++) {
                pp[i] = p[ii[i]];
                yy[i] = y[ii[i]];
            }
            Evaluation sub = Evaluation.of(List.of("0", "1"), pp, yy, f.threshold());
            meanMacro += sub.macroF1() / parts.size();
            sb.append(String.format(Locale.ROOT, " | val %s n=%d macroF1 %.4f ROC %.4f", e.getKey(), ii.length, sub.macroF1(), sub.rocAuc()));
        }
        sb.append(String.format(Locale.ROOT, " | val mean-over-sources macroF1 %.4f", meanMacro));
        return sb.toString();
    }

    /** Dev at the threshold of highest validation macro-F1 instead of the flagged-class rule (no refit). */
    static String macroThreshold(BinaryHeadTrainer.Fitted f, Evaluation dev) {
        double thr = Thresholds.maxMacroF1(f.validationProbabilities(), f.validationLabels());
        Evaluation ev = Evaluation.of(List.of("0", "1"), dev.probabilities(), dev.labels(), thr);
        return String.format(Locale.ROOT, " || val-macro-F1 threshold %.3f: dev macroF1 %.4f flaggedF1 %.4f", thr, ev.macroF1(), ev.flaggedF1());
    }

    static List<LabelledText> dev(Workbench wb, String task) {
        return task.equals("toxicity") ? wb.toxicity("dev") : wb.refusal("dev");
    }

    /** Dev probabilities next to labels and texts (TSV) for error analysis. */
    static void dump(Path file, List<LabelledText> dev, Evaluation ev) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dev.size(); i++) {
            String t = dev.get(i).text();
            sb.append(String.format(Locale.ROOT, "%.4f\t%d\t%s%n", ev.probabilities()[i], ev.labels()[i],
                    t.substring(0, Math.min(200, t.length())).replaceAll("\\s+", " ")));
        }
        try {
            Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flagged-class F1 per part of the dev file (refusal: ChatGPT rows vs XSTest rows; toxicity: per source). */
    static String subsets(Workbench wb, String task, Evaluation ev) {
        List<String> key = task.equals("refusal") ? Jsonl.readOptionalField(wb.file("refusal", "dev"), "tone")
                : Jsonl.readOptionalField(wb.file("toxicity", "dev"), "source");
        Map<String, List<Integer>> parts = new java.util.TreeMap<>();
        for (int i = 0; i < key.size(); i++) {
            String k = task.equals("refusal") ? (key.get(i) == null ? "xstest" : "chatgpt") : key.get(i);
            parts.computeIfAbsent(k, x -> new ArrayList<>()).add(i);
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<Integer>> e : parts.entrySet()) {
            int[] idx = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            double[] p = new double[idx.length];
            int[] y = new int[idx.length];
            for (int i = 0; i < idx.length; i++) {
                p[i] = ev.probabilities()[idx[i]];
                y[i] = ev.labels()[idx[i]];
            }
            Evaluation sub = Evaluation.of(List.of("0", "1"), p, y, ev.threshold());
            sb.append(String.format(Locale.ROOT, " | %s n=%d macroF1 %.4f flaggedF1 %.4f ROC %.4f", e.getKey(), idx.length, sub.macroF1(),
                    sub.flaggedF1(), sub.rocAuc()));
        }
        return sb.toString();
    }

    static String preference(Workbench wb, Map<String, String> a, long seed, PrintStream log) {
        FeatureSpec fs = features(a.getOrDefault("features", "mean")).withPairs(pairFeatures(a.getOrDefault("pairs", "response,product,abs_diff")))
                .withTaps(Taps.parseLayers(a.getOrDefault("taps", "")));
        List<HeadModel> grid = grid(a.getOrDefault("grid", "lr:1e-2"));
        boolean helpful = Boolean.parseBoolean(a.getOrDefault("helpfulness", "true"));
        double w = Double.parseDouble(a.getOrDefault("extra-weight", "1"));
        String view = a.getOrDefault("prompt-view", "full");
        UnaryOperator<String> promptView = switch (view) {
            case "full" -> UnaryOperator.identity();
            case "last-turn" -> PreferencePair::lastHumanTurn;
            default -> throw new IllegalArgumentException("--prompt-view full|last-turn, not " + view);
        };
        Tasks.PreferenceResult r = Tasks.preference(wb, new Tasks.PreferenceRecipe(fs, grid, helpful, w, 0.1), promptView, seed, log);
        return String.format(Locale.ROOT, "preference%s %s L=%d %s %s helpfulness=%s w=%.2f -> chose %s | val loss %.4f acc %.4f | dev pairwise %.4f | helpful vs %s | dev chosen flagged %.3f rejected flagged %.3f",
                view.equals("full") ? "" : " prompt-view=" + view, wb.encoder().name(), wb.maxLength(), fs, a.getOrDefault("grid", "lr:1e-2"), helpful, w, r.fitted().model(),
                r.fitted().candidates().stream().mapToDouble(RewardHeadTrainer.Candidate::pairwiseLoss).min().orElse(Double.NaN),
                r.fitted().validationAccuracy(), r.devAccuracy(), r.helpfulness(), r.devChosenFlagged(), r.devRejectedFlagged());
    }

    private static String refusalValidationBySource(Workbench wb, Tasks.BinaryResult res, long seed) {
        double[] ap = Tasks.validationApBySource(wb, res, seed);
        return String.format(Locale.ROOT, " | val AP %.4f: chatgpt %.4f borrowed %.4f", Tasks.validationAp(res), ap[0], ap[1]);
    }

    /**
     * Measurement ({@code --sentence-max}): the trained refusal head also scores each sentence of a response on its own,
     * and a response's score becomes a mix of its own score and its highest sentence score. Rules are compared on the
     * validation split (each rule's threshold: max refusal F1 there); dev is only reported. Needs the augmented recipe
     * without style copies (validation rows are the augmented originals, then the borrowed turns).
     */
    static String sentenceMax(Workbench wb, Tasks.BinaryRecipe r, Tasks.BinaryResult res, long seed, PrintStream log) {
        if (!r.augment() || r.styles() != null) {
            throw new IllegalArgumentException("--sentence-max needs --augment without --styles");
        }
        List<LabelledText> rows = refusalRows(wb, r.borrow(), seed);
        List<LabelledText> val = new ArrayList<>();
        for (int i : res.fitted().validationIndex()) {
            val.add(rows.get(i));
        }
        Workbench tw = wb.tapped(res.head().taps());
        double[][] vs = sentenceScores(tw, res.head(), val, "refusal-val-" + seed, log);
        double[][] ds = sentenceScores(tw, res.head(), wb.refusal("dev"), "refusal-dev", log);
        int[] vy = Workbench.labels(val);
        int[] dy = Workbench.labels(wb.refusal("dev"));
        StringBuilder out = new StringBuilder(" || sentence-max");
        String[] names = {"text", "max(text,sentence)", "mean(text,sentence)", "sentence"};
        for (int rule = 0; rule < names.length; rule++) {
            double[] vp = mix(vs, rule);
            double[] dp = mix(ds, rule);
            double thr = Thresholds.maxF1(vp, vy);
            Evaluation ev = Evaluation.of(Tasks.REFUSAL_LABELS, dp, dy, thr);
            out.append(String.format(Locale.ROOT, " | %s: val AP %.4f ROC %.4f thr %.3f -> dev F1 %.4f macroF1 %.4f ROC %.4f",
                    names[rule], Metrics.averagePrecision(vp, vy), Metrics.rocAuc(vp, vy), thr, ev.flaggedF1(), ev.macroF1(), ev.rocAuc()));
        }
        return out.toString();
    }

    /**
     * Measurement ({@code --pair-encoder E [--pair-taps L]}): the same refusal recipe on a second encoder (its own layers),
     * and the mean of the two heads' probabilities. Both runs draw the same validation split (it depends on the rows, the
     * labels and the seed, not on the encoder), so the mean's threshold is chosen on validation like a head's.
     */
    static String pairedEncoders(Workbench wb, EmbeddingCache cache, Tasks.BinaryRecipe r, Tasks.BinaryResult res, Map<String, String> a,
                                 long seed, PrintStream log) {
        EncoderSpec other = EncoderSpec.named(a.get("pair-encoder"));
        Tasks.BinaryRecipe r2 = r.withFeatures(r.features().withTaps(Taps.parseLayers(a.getOrDefault("pair-taps", "none"))));
        try (Workbench w2 = new Workbench(wb.data(), cache, other, wb.maxLength(), 2, log)) {
            Tasks.BinaryResult res2 = Tasks.refusal(w2, r2, seed, log);
            if (!java.util.Arrays.equals(res.fitted().validationIndex(), res2.fitted().validationIndex())) {
                throw new IllegalStateException("the two runs drew different validation splits");
            }
            int[] vy = res.fitted().validationLabels();
            double[] v1 = res.fitted().validationProbabilities();
            double[] v2 = res2.fitted().validationProbabilities();
            double[] vm = mean(v1, v2);
            double[] dm = mean(res.dev().probabilities(), res2.dev().probabilities());
            double thr = Thresholds.maxF1(vm, vy);
            Evaluation ev = Evaluation.of(Tasks.REFUSAL_LABELS, dm, res.dev().labels(), thr);
            String why = TrainDefaults.behaviour(res2.head(), TrainDefaults.REFUSAL_PROBES, TrainDefaults.COMPLIANCE_PROBES);
            return String.format(Locale.ROOT, " || paired with %s %s: its head val AP %.4f dev F1 %.4f gate %s | mean of the two: val AP %.4f"
                            + " ROC %.4f thr %.3f -> dev F1 %.4f macroF1 %.4f ROC %.4f", other.name(), Taps.describe(r2.features().taps()),
                    Metrics.averagePrecision(v2, vy), res2.dev().flaggedF1(), why == null ? "passed" : "failed: " + why,
                    Metrics.averagePrecision(vm, vy), Metrics.rocAuc(vm, vy), thr, ev.flaggedF1(), ev.macroF1(), ev.rocAuc());
        }
    }

    /**
     * Measurement ({@code refusal-mil [--epochs 300]}): a token-level refusal scorer. Each token of a response's first
     * 256-token window gets {@code w·h_t} from the encoder's last layer; the response's logit is the highest of them plus
     * a bias (multiple-instance learning: a refusal needs one refusing phrase), fitted with class-balanced logistic
     * loss on the shipped recipe's fit split. Compared on validation alone and as the mean with the shipped head.
     */
    static String refusalMil(Workbench wb, Map<String, String> a, long seed, PrintStream log) throws Exception {
        // the shipped head: TrainDefaults' recipe with what its trials chose (opening 8, layers 5 and 9, 3,000 word pieces)
        Tasks.BinaryRecipe r = TrainDefaults.REFUSAL.withFeatures(TrainDefaults.REFUSAL.features().withTaps(Taps.parseLayers("5,9"))
                .withOpening(8, Pooling.CLS, Pooling.MEAN, Pooling.MAX)).withLexicon(3000);
        Tasks.BinaryResult res = Tasks.refusal(wb, r, seed, log);
        List<LabelledText> rows = refusalRows(wb, true, seed);
        rows.addAll(Tasks.toxicComplianceSample(wb, 1000, seed));
        int[] valIdx = res.fitted().validationIndex();
        java.util.BitSet inVal = new java.util.BitSet();
        for (int i : valIdx) {
            inVal.set(i);
        }
        // the split drops derived rows whose original is held out: keep fit rows whose source is not in validation
        List<RefusalAugmentation.Row> aug = RefusalAugmentation.augment(wb.refusal("train"), seed);
        List<LabelledText> fit = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            int src = i < aug.size() ? aug.get(i).source() : i;
            if (!inVal.get(i) && !inVal.get(src)) {
                fit.add(rows.get(i));
            }
        }
        List<LabelledText> val = new ArrayList<>();
        for (int i : valIdx) {
            val.add(rows.get(i));
        }
        List<LabelledText> dev = wb.refusal("dev");
        log.printf(Locale.ROOT, "refusal-mil: %d fit, %d validation, %d dev texts%n", fit.size(), val.size(), dev.size());
        float[][][] hFit = tokenStates(wb, fit, log);
        float[][][] hVal = tokenStates(wb, val, log);
        float[][][] hDev = tokenStates(wb, dev, log);
        int[] yFit = Workbench.labels(fit);
        int[] yVal = res.fitted().validationLabels();
        int[] yDev = Workbench.labels(dev);
        int epochs = Integer.parseInt(a.getOrDefault("epochs", "300"));
        StringBuilder out = new StringBuilder("refusal-mil last layer, max over tokens of w.h_t, " + epochs + " epochs Adam");
        double bestAp = -1;
        double[] bestVal = null;
        double[] bestDev = null;
        double bestL2 = 0;
        for (double l2 : new double[] {1e-4, 1e-3, 1e-2}) {
            double[] w = fitMil(hFit, yFit, l2, epochs, seed);
            double[] pv = milProbabilities(hVal, w);
            double ap = Metrics.averagePrecision(pv, yVal);
            out.append(String.format(Locale.ROOT, " | l2 %.0e val AP %.4f", l2, ap));
            if (ap > bestAp) {
                bestAp = ap;
                bestL2 = l2;
                bestVal = pv;
                bestDev = milProbabilities(hDev, w);
            }
        }
        double thr = Thresholds.maxF1(bestVal, yVal);
        Evaluation alone = Evaluation.of(Tasks.REFUSAL_LABELS, bestDev, yDev, thr);
        double[] v1 = res.fitted().validationProbabilities();
        double[] vm = mean(v1, bestVal);
        double[] dm = mean(res.dev().probabilities(), bestDev);
        double thrM = Thresholds.maxF1(vm, yVal);
        Evaluation mean = Evaluation.of(Tasks.REFUSAL_LABELS, dm, yDev, thrM);
        out.append(String.format(Locale.ROOT, " | chose l2 %.0e: alone thr %.3f dev F1 %.4f macroF1 %.4f ROC %.4f"
                        + " | shipped head val AP %.4f dev F1 %.4f | mean with shipped: val AP %.4f thr %.3f dev F1 %.4f macroF1 %.4f ROC %.4f",
                bestL2, thr, alone.flaggedF1(), alone.macroF1(), alone.rocAuc(), Metrics.averagePrecision(v1, yVal), res.dev().flaggedF1(),
                Metrics.averagePrecision(vm, yVal), thrM, mean.flaggedF1(), mean.macroF1(), mean.rocAuc()));
        return out.toString();
    }

    /** The last layer's token vectors of each text's first window (special tokens included). */
    private static float[][][] tokenStates(Workbench wb, List<LabelledText> rows, PrintStream log) throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        byte[] model;
        try (java.io.InputStream in = wb.encoder().openOnnx()) {
            model = in.readAllBytes();
        }
        byte[] tok;
        try (java.io.InputStream in = wb.encoder().openTokenizer()) {
            tok = in.readAllBytes();
        }
        Map<String, String> opts = new HashMap<>();
        opts.put("padding", "false");
        opts.put("truncation", "true");
        opts.put("maxLength", Integer.toString(wb.maxLength()));
        opts.put("modelMaxLength", Integer.toString(wb.maxLength()));
        float[][][] out = new float[rows.size()][][];
        try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(2);
            try (ai.onnxruntime.OrtSession session = env.createSession(model, so);
                 ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tokenizer =
                         ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(tok), opts)) {
                long t0 = System.nanoTime();
                for (int i = 0; i < rows.size(); i++) {
                    ai.djl.huggingface.tokenizers.Encoding e = tokenizer.encode(rows.get(i).text());
                    long[][] ids = {e.getIds()};
                    long[][] mask = {e.getAttentionMask()};
                    long[][] types = {e.getTypeIds()};
                    Map<String, ai.onnxruntime.OnnxTensor> in = new HashMap<>();
                    in.put("input_ids", ai.onnxruntime.OnnxTensor.createTensor(env, ids));
                    in.put("attention_mask", ai.onnxruntime.OnnxTensor.createTensor(env, mask));
                    in.put("token_type_ids", ai.onnxruntime.OnnxTensor.createTensor(env, types));
                    try (ai.onnxruntime.OrtSession.Result r = session.run(in)) {
                        float[][][] h = (float[][][]) r.get(0).getValue();
                        out[i] = h[0];
                    } finally {
                        in.values().forEach(ai.onnxruntime.OnnxTensor::close);
                    }
                    if ((i + 1) % 1000 == 0) {
                        log.printf(Locale.ROOT, "token states: %d/%d texts, %.0f texts/s%n", i + 1, rows.size(), (i + 1) / ((System.nanoTime() - t0) / 1e9));
                    }
                }
            }
        }
        return out;
    }

    /** w (last entry: bias) of logit = max_t w.h_t + b, class-balanced logistic loss plus l2 on w, full-batch Adam. */
    private static double[] fitMil(float[][][] h, int[] y, double l2, int epochs, long seed) {
        int d = h[0][0].length;
        double[] w = new double[d + 1];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int k = 0; k < d; k++) {
            w[k] = rnd.nextGaussian() * 0.01;
        }
        int pos = 0;
        for (int v : y) {
            pos += v;
        }
        double wPos = y.length / (2.0 * pos);
        double wNeg = y.length / (2.0 * (y.length - pos));
        double[] m = new double[d + 1];
        double[] v2 = new double[d + 1];
        double lr = 0.01;
        for (int ep = 1; ep <= epochs; ep++) {
            double[] g = new double[d + 1];
            for (int i = 0; i < h.length; i++) {
                int arg = 0;
                double best = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < h[i].length; t++) {
                    double s = 0;
                    for (int k = 0; k < d; k++) {
                        s += w[k] * h[i][t][k];
                    }
                    if (s > best) {
                        best = s;
                        arg = t;
                    }
                }
                double p = 1 / (1 + Math.exp(-(best + w[d])));
                double err = (p - y[i]) * (y[i] == 1 ? wPos : wNeg) / h.length;
                for (int k = 0; k < d; k++) {
                    g[k] += err * h[i][arg][k];
                }
                g[d] += err;
            }
            for (int k = 0; k < d; k++) {
                g[k] += l2 * w[k];
            }
            for (int k = 0; k <= d; k++) {
                m[k] = 0.9 * m[k] + 0.1 * g[k];
                v2[k] = 0.999 * v2[k] + 0.001 * g[k] * g[k];
                double mh = m[k] / (1 - Math.pow(0.9, ep));
                double vh = v2[k] / (1 - Math.pow(0.999, ep));
                w[k] -= lr * mh / (Math.sqrt(vh) + 1e-8);
            }
        }
        return w;
    }

    private static double[] milProbabilities(float[][][] h, double[] w) {
        int d = w.length - 1;
        double[] p = new double[h.length];
        for (int i = 0; i < h.length; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (float[] token : h[i]) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += w[k] * token[k];
                }
                best = Math.max(best, s);
            }
            p[i] = 1 / (1 + Math.exp(-(best + w[d])));
        }
        return p;
    }

    /**
     * The refusal recipe's training rows in its order: the augmented originals and copies, then (with {@code borrow}) the
     * weakly labelled assistant turns of the preference pairs; a head's validation indices point into this list.
     */
    private static List<LabelledText> refusalRows(Workbench wb, boolean borrow, long seed) {
        List<LabelledText> rows = new ArrayList<>(RefusalAugmentation.augment(wb.refusal("train"), seed).stream().map(RefusalAugmentation.Row::row).toList());
        if (borrow) {
            for (PreferencePair p : wb.preference("train")) {
                for (String text : List.of(p.chosen(), p.rejected())) {
                    int label = RefusalAugmentation.weakLabel(text);
                    if (label >= 0) {
                        rows.add(new LabelledText(p.prompt(), text, label));
                    }
                }
            }
        }
        return rows;
    }

    private static double[] mean(double[] x, double[] y) {
        double[] m = new double[x.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = (x[i] + y[i]) / 2;
        }
        return m;
    }

    private static double[] mix(double[][] s, int rule) {
        double[] p = new double[s.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = switch (rule) {
                case 0 -> s[i][0];
                case 1 -> Math.max(s[i][0], s[i][1]);
                case 2 -> (s[i][0] + s[i][1]) / 2;
                default -> s[i][1];
            };
        }
        return p;
    }

    /** Per row: {the head's score of the text (max over windows), its highest score over the text's sentences}. */
    private static double[][] sentenceScores(Workbench wb, EmbeddingHead head, List<LabelledText> rows, String what, PrintStream log) {
        List<LabelledText> sentences = new ArrayList<>();
        List<Integer> own = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            java.text.BreakIterator it = java.text.BreakIterator.getSentenceInstance(Locale.ENGLISH);
            String t = rows.get(i).text();
            it.setText(t);
            for (int start = it.first(), end = it.next(); end != java.text.BreakIterator.DONE; start = end, end = it.next()) {
                String sentence = t.substring(start, end).strip();
                if (!sentence.isEmpty()) {
                    sentences.add(new LabelledText(null, sentence, rows.get(i).label()));
                    own.add(i);
                }
            }
        }
        int[] owner = own.stream().mapToInt(Integer::intValue).toArray();
        log.printf(Locale.ROOT, "sentence-max: %d texts, %d sentences%n", rows.size(), sentences.size());
        double[] full = scores(wb, head, rows, what + "-texts");
        double[] sent = scores(wb, head, sentences, what + "-sentences");
        double[][] out = new double[rows.size()][2];
        for (double[] o : out) {
            o[1] = Double.NEGATIVE_INFINITY;
        }
        for (int i = 0; i < rows.size(); i++) {
            out[i][0] = full[i];
        }
        for (int k = 0; k < owner.length; k++) {
            out[owner[k]][1] = Math.max(out[owner[k]][1], sent[k]);
        }
        for (double[] o : out) {
            if (o[1] == Double.NEGATIVE_INFINITY) {
                o[1] = o[0];
            }
        }
        return out;
    }

    /** The head's probabilities for rows, as the runtime scores them (openings and word pieces attached as the head needs). */
    private static double[] scores(Workbench wb, EmbeddingHead head, List<LabelledText> rows, String what) {
        List<TextEmbedding> e = wb.embedTexts(rows, what);
        if (head.openingTokens() > 0) {
            e = wb.withOpenings(e, rows, what, head.openingTokens());
        }
        if (head.lexicon().length > 0) {
            e = Tasks.withPieces(e, wb.windowPieces(rows.stream().map(LabelledText::text).toList()));
        }
        return Evaluation.of(head, e, new int[e.size()], true).probabilities();
    }

    /** The text up to the end of its first sentence of at least {@code minChars} characters (., ! or ? then white space, or a line break). */
    static String firstSentence(String text, int minChars) {
        String t = text.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[.!?](\\s|$)|\\n").matcher(t);
        while (m.find()) {
            if (m.start() + 1 >= minChars) {
                return t.substring(0, m.start() + 1).strip();
            }
        }
        return t;
    }

    /**
     * The shipped preference training pairs (HH pairs, then helpfulness pairs) with their embeddings, weights, prompt
     * groups and which pairs are HH (the selection's primary pairs), for measurements that add feature blocks.
     */
    record ShippedPairs(List<PreferencePair> all, List<TextEmbedding> prompts, List<TextEmbedding> chosen, List<TextEmbedding> rejected,
                        double[] weights, List<String> groups, boolean[] primary, Tasks.PreferenceRecipe recipe) {
        static ShippedPairs of(Workbench wb, Tasks.PreferenceRecipe r, long seed) {
            List<PreferencePair> hh = wb.preference("train");
            List<PreferencePair> extra = PreferenceAugmentation.helpfulnessPairs(wb.refusal("train"), seed);
            List<PreferencePair> all = new ArrayList<>(hh);
            all.addAll(extra);
            Workbench.PairEmbeddings hhE = wb.embedPairs(hh, "preference-train");
            Workbench.PairEmbeddings exE = wb.embedPairs(extra, "preference-helpfulness-" + seed);
            List<TextEmbedding> prompts = new ArrayList<>(hhE.prompts());
            prompts.addAll(exE.prompts());
            List<TextEmbedding> chosen = new ArrayList<>(hhE.chosen());
            chosen.addAll(exE.chosen());
            List<TextEmbedding> rejected = new ArrayList<>(hhE.rejected());
            rejected.addAll(exE.rejected());
            double[] w = new double[all.size()];
            List<String> groups = new ArrayList<>();
            boolean[] primary = new boolean[all.size()];
            for (int i = 0; i < all.size(); i++) {
                w[i] = i < hh.size() ? 1.0 : r.extraWeight();
                primary[i] = i < hh.size();
                groups.add(all.get(i).prompt().startsWith("Human: ") && i >= hh.size() ? all.get(i).prompt().substring(7) : all.get(i).prompt());
            }
            return new ShippedPairs(all, prompts, chosen, rejected, w, groups, primary, r);
        }

        RewardHeadTrainer.Fitted fit(float[][] xChosen, float[][] xRejected, List<HeadModel> grid, long seed, PrintStream log) {
            return RewardHeadTrainer.fit(xChosen, xRejected, weights, groups, primary,
                    new RewardHeadTrainer.Options(grid, 0.15, seed, 2, recipe.minPreferenceQuantile(), log));
        }
    }

    /**
     * Measurement only: the shipped preference recipe with the response's opening ({@code --opening N}, CLS + mean + max,
     * L2) appended to each pair's features. Dev is scored with the raw reward on the same concatenation.
     */
    static String preferenceOpening(Workbench wb, Map<String, String> a, long seed, PrintStream log) {
        int n = Integer.parseInt(a.getOrDefault("opening", "16"));
        Tasks.PreferenceRecipe r = TrainDefaults.PREFERENCE;
        ShippedPairs d = ShippedPairs.of(wb, r, seed);
        List<PreferencePair> all = d.all();
        FeatureSpec ofs = features("cls,mean,max:l2");
        float[][] oc = ofs.textRows(openings(wb, all.stream().map(PreferencePair::chosen).toList(), "pref-opening-chosen", n));
        float[][] or = ofs.textRows(openings(wb, all.stream().map(PreferencePair::rejected).toList(), "pref-opening-rejected", n));
        float[][] xc = concat(r.features().pairRows(d.prompts(), d.chosen()), oc);
        float[][] xr = concat(r.features().pairRows(d.prompts(), d.rejected()), or);
        RewardHeadTrainer.Fitted f = d.fit(xc, xr, r.grid(), seed, log);
        EmbeddingHead h = f.toHead("probe", wb.encoder(), wb.maxLength(), r.features(), Tasks.PREFERENCE_LABELS, Map.of());
        List<PreferencePair> dev = wb.preference("dev");
        Workbench.PairEmbeddings devE = wb.embedPairs(dev, "preference-dev");
        float[][] dc = concat(r.features().pairRows(devE.prompts(), devE.chosen()),
                ofs.textRows(openings(wb, dev.stream().map(PreferencePair::chosen).toList(), "pref-opening-dev-chosen", n)));
        float[][] dr = concat(r.features().pairRows(devE.prompts(), devE.rejected()),
                ofs.textRows(openings(wb, dev.stream().map(PreferencePair::rejected).toList(), "pref-opening-dev-rejected", n)));
        double[] sc = new double[dev.size()];
        double[] sr = new double[dev.size()];
        for (int i = 0; i < dev.size(); i++) {
            sc[i] = h.score(dc[i]);
            sr[i] = h.score(dr[i]);
        }
        return String.format(Locale.ROOT, "preference-opening %d -> chose %s | val acc %.4f | dev pairwise %.4f", n, f.model(),
                f.validationAccuracy(), Metrics.pairwiseAccuracy(sc, sr));
    }

    /**
     * Measurement only: the prompt and the response encoded together, as one text ({@code "<prompt tail>\n\nAssistant:
     * <response>"}, the prompt cut to its last {@code --prompt-chars} characters, the response to its first
     * {@code --response-chars}), so the encoder's attention relates the two; its CLS + mean (L2) replace
     * ({@code --joint-only}) or join the shipped features. Dev is scored with the raw reward on the same rows.
     */
    static String preferenceJoint(Workbench wb, Map<String, String> a, long seed, PrintStream log) {
        int pc = Integer.parseInt(a.getOrDefault("prompt-chars", "600"));
        int rc = Integer.parseInt(a.getOrDefault("response-chars", "500"));
        boolean only = a.containsKey("joint-only");
        Tasks.PreferenceRecipe r = TrainDefaults.PREFERENCE;
        FeatureSpec base = r.features().withTaps(Taps.parseLayers(a.getOrDefault("taps", "")));
        Workbench tw = wb.tapped(base.taps());
        FeatureSpec jfs = features(a.getOrDefault("joint-features", "cls,mean:l2")).withTaps(base.taps());
        ShippedPairs d = ShippedPairs.of(tw, r, seed);
        List<PreferencePair> all = d.all();
        String key = "joint-" + pc + "-" + rc;
        float[][] jc = jfs.textRows(tw.embed(all.stream().map(q -> joint(q.prompt(), q.chosen(), pc, rc)).toList(), "pref-" + key + "-chosen-" + seed));
        float[][] jr = jfs.textRows(tw.embed(all.stream().map(q -> joint(q.prompt(), q.rejected(), pc, rc)).toList(), "pref-" + key + "-rejected-" + seed));
        float[][] xc = only ? jc : concat(base.pairRows(d.prompts(), d.chosen()), jc);
        float[][] xr = only ? jr : concat(base.pairRows(d.prompts(), d.rejected()), jr);
        RewardHeadTrainer.Fitted f = d.fit(xc, xr, a.containsKey("grid") ? grid(a.get("grid")) : r.grid(), seed, log);
        EmbeddingHead h = f.toHead("probe", tw.encoder(), tw.maxLength(), base, Tasks.PREFERENCE_LABELS, Map.of());
        List<PreferencePair> dev = tw.preference("dev");
        Workbench.PairEmbeddings devE = tw.embedPairs(dev, "preference-dev");
        float[][] djc = jfs.textRows(tw.embed(dev.stream().map(q -> joint(q.prompt(), q.chosen(), pc, rc)).toList(), "pref-" + key + "-dev-chosen"));
        float[][] djr = jfs.textRows(tw.embed(dev.stream().map(q -> joint(q.prompt(), q.rejected(), pc, rc)).toList(), "pref-" + key + "-dev-rejected"));
        float[][] dc = only ? djc : concat(base.pairRows(devE.prompts(), devE.chosen()), djc);
        float[][] dr = only ? djr : concat(base.pairRows(devE.prompts(), devE.rejected()), djr);
        double[] sc = new double[dev.size()];
        double[] sr = new double[dev.size()];
        for (int i = 0; i < dev.size(); i++) {
            sc[i] = h.score(dc[i]);
            sr[i] = h.score(dr[i]);
        }
        double loss = f.candidates().stream().mapToDouble(RewardHeadTrainer.Candidate::pairwiseLoss).min().orElse(Double.NaN);
        return String.format(Locale.ROOT, "preference-joint prompt %d chars, response %d chars, %s%s taps %s -> chose %s | val loss %.4f acc %.4f | dev pairwise %.4f",
                pc, rc, only ? "joint only" : "joint + shipped features", " " + jfs, Taps.describe(base.taps()), f.model(), loss,
                f.validationAccuracy(), Metrics.pairwiseAccuracy(sc, sr));
    }

    /**
     * Measurement only: the shipped preference features followed by a bag of the {@code --bow K} word pieces most
     * frequent in the training responses ({@link #bagOfWordPieces}), for each response. Dev is scored with the raw reward.
     */
    static String preferenceBow(Workbench wb, Map<String, String> a, long seed, PrintStream log) {
        int k = Integer.parseInt(a.getOrDefault("bow", "1000"));
        Tasks.PreferenceRecipe r = TrainDefaults.PREFERENCE;
        ShippedPairs d = ShippedPairs.of(wb, r, seed);
        List<PreferencePair> all = d.all();
        List<PreferencePair> dev = wb.preference("dev");
        // one vocabulary from every training response; rows: training chosen, training rejected, dev chosen, dev rejected
        List<LabelledText> trainResponses = new ArrayList<>();
        all.forEach(q -> trainResponses.add(new LabelledText(null, q.chosen(), 0)));
        all.forEach(q -> trainResponses.add(new LabelledText(null, q.rejected(), 0)));
        List<LabelledText> devResponses = new ArrayList<>();
        dev.forEach(q -> devResponses.add(new LabelledText(null, q.chosen(), 0)));
        dev.forEach(q -> devResponses.add(new LabelledText(null, q.rejected(), 0)));
        float[][][] bw = bagOfWordPieces(wb.encoder(), wb.maxLength(), trainResponses, devResponses, k);
        int n = all.size();
        int m = dev.size();
        float[][] xc = concat(r.features().pairRows(d.prompts(), d.chosen()), java.util.Arrays.copyOfRange(bw[0], 0, n));
        float[][] xr = concat(r.features().pairRows(d.prompts(), d.rejected()), java.util.Arrays.copyOfRange(bw[0], n, 2 * n));
        RewardHeadTrainer.Fitted f = d.fit(xc, xr, a.containsKey("grid") ? grid(a.get("grid")) : r.grid(), seed, log);
        EmbeddingHead h = f.toHead("probe", wb.encoder(), wb.maxLength(), r.features(), Tasks.PREFERENCE_LABELS, Map.of());
        Workbench.PairEmbeddings devE = wb.embedPairs(dev, "preference-dev");
        float[][] dc = concat(r.features().pairRows(devE.prompts(), devE.chosen()), java.util.Arrays.copyOfRange(bw[1], 0, m));
        float[][] dr = concat(r.features().pairRows(devE.prompts(), devE.rejected()), java.util.Arrays.copyOfRange(bw[1], m, 2 * m));
        double[] sc = new double[m];
        double[] sr = new double[m];
        for (int i = 0; i < m; i++) {
            sc[i] = h.score(dc[i]);
            sr[i] = h.score(dr[i]);
        }
        double loss = f.candidates().stream().mapToDouble(RewardHeadTrainer.Candidate::pairwiseLoss).min().orElse(Double.NaN);
        return String.format(Locale.ROOT, "preference-bow %d word pieces of the response -> chose %s | val loss %.4f acc %.4f | dev pairwise %.4f",
                bw[0][0].length, f.model(), loss, f.validationAccuracy(), Metrics.pairwiseAccuracy(sc, sr));
    }

    /** The prompt's last {@code promptChars} characters and the response's first {@code responseChars}, as one dialogue. */
    static String joint(String prompt, String response, int promptChars, int responseChars) {
        String p = prompt.strip();
        p = p.length() <= promptChars ? p : p.substring(p.length() - promptChars);
        String q = response.strip();
        q = q.length() <= responseChars ? q : q.substring(0, responseChars);
        return p + "\n\nAssistant: " + q;
    }

    static List<TextEmbedding> openings(Workbench wb, List<String> texts, String what, int n) {
        return wb.openings(texts, what, n).stream().map(o -> new TextEmbedding(o, List.of(o))).toList();
    }

    /** Texts/s of a cold encoder on the first {@code n} toxicity dev texts (short texts), not cached. */
    static String throughput(Workbench wb, int n) {
        List<String> texts = new ArrayList<>();
        for (LabelledText t : wb.toxicity("dev")) {
            if (texts.size() < n) {
                texts.add(t.text());
            }
        }
        try (Embedder e = new Embedder(wb.encoder(), wb.maxLength(), 2, null)) {
            e.embed(texts.subList(0, Math.min(200, texts.size())), "warmup");
            long t0 = System.nanoTime();
            e.embed(texts, "throughput");
            double secs = (System.nanoTime() - t0) / 1e9;
            List<String> longTexts = new ArrayList<>();
            for (LabelledText t : wb.refusal("dev")) {
                if (longTexts.size() < n / 4) {
                    longTexts.add(t.text());
                }
            }
            long t1 = System.nanoTime();
            e.embed(longTexts, "throughput-long");
            double secsLong = (System.nanoTime() - t1) / 1e9;
            return String.format(Locale.ROOT, "throughput %s L=%d 2 threads batch 32: short %d texts %.1f texts/s | long (refusal dev responses) %d texts %.1f texts/s",
                    wb.encoder().name(), wb.maxLength(), texts.size(), texts.size() / secs, longTexts.size(), longTexts.size() / secsLong);
        }
    }

    static EmbeddingCache cacheOf(Map<String, String> a) {
        return new EmbeddingCache(Path.of(a.getOrDefault("cache", TrainDefaults.DEFAULT_CACHE)));
    }

    static float[][] lexical(List<LabelledText> rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Lexical.refusalSignals(rows.get(i).text());
        }
        return out;
    }

    static float[][] concat(float[][] a, float[][] b) {
        float[][] out = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new float[a[i].length + b[i].length];
            System.arraycopy(a[i], 0, out[i], 0, a[i].length);
            System.arraycopy(b[i], 0, out[i], a[i].length, b[i].length);
        }
        return out;
    }

    /** {@code cls,mean,max} with an optional {@code :l2} suffix for per-part normalisation. */
    static FeatureSpec features(String s) {
        boolean l2 = s.endsWith(":l2");
        String p = l2 ? s.substring(0, s.length() - 3) : s;
        List<Pooling> list = new ArrayList<>();
        for (String x : p.split(",")) {
            list.add(Pooling.valueOf(x.trim().toUpperCase(Locale.ROOT)));
        }
        return new FeatureSpec(list, l2, List.of());
    }

    static EmbeddingHead.PairFeature[] pairFeatures(String s) {
        String[] parts = s.split(",");
        EmbeddingHead.PairFeature[] out = new EmbeddingHead.PairFeature[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = EmbeddingHead.PairFeature.valueOf(parts[i].trim().toUpperCase(Locale.ROOT));
        }
        return out;
    }

    /** {@code lr:1e-3,mlp:256:1e-4}: linear models by L2, MLPs by hidden units and weight decay. */
    static List<HeadModel> grid(String s) {
        List<HeadModel> out = new ArrayList<>();
        for (String item : s.split(",")) {
            String[] f = item.trim().split(":");
            switch (f[0]) {
                case "lr" -> out.add(HeadModel.linear(Double.parseDouble(f[1])));
                case "mlp" -> out.add(HeadModel.mlp(Integer.parseInt(f[1]), Double.parseDouble(f[2])));
                case "ens" -> out.add(HeadModel.ensemble(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Double.parseDouble(f[3])));
                default -> throw new IllegalArgumentException("grid item '" + item + "': expected lr:L2, mlp:HIDDEN:DECAY or ens:MEMBERS:HIDDEN:DECAY");
            }
        }
        return out;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                String k = args[i].substring(2);
                if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    m.put(k, args[++i]);
                } else {
                    m.put(k, "true");
                }
            }
        }
        return m;
    }
}
