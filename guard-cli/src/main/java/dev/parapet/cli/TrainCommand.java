package dev.parapet.cli;

import com.google.gson.JsonObject;
import dev.parapet.onnx.EmbeddingHead;
import dev.parapet.onnx.Pooling;
import dev.parapet.train.BinaryHeadTrainer;
import dev.parapet.train.EmbeddingCache;
import dev.parapet.train.Embedder;
import dev.parapet.train.EncoderSpec;
import dev.parapet.train.Evaluation;
import dev.parapet.train.FeatureSpec;
import dev.parapet.train.Lexicons;
import dev.parapet.train.FusedExport;
import dev.parapet.train.HeadModel;
import dev.parapet.train.LabelledText;
import dev.parapet.train.Metrics;
import dev.parapet.train.PreferenceAugmentation;
import dev.parapet.train.PreferencePair;
import dev.parapet.train.RefusalAugmentation;
import dev.parapet.train.RewardHeadTrainer;
import dev.parapet.train.Taps;
import dev.parapet.train.Tasks;
import dev.parapet.train.TextEmbedding;
import dev.parapet.train.TrainDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code parapet train}: guard-train's pipeline from the command line. A head on a frozen
 * Maven-shipped encoder, fitted with the shipped recipe of its task ({@link TrainDefaults}), its
 * model, calibration and threshold chosen on a validation split of the training file, then scored on
 * the dev file as the runtime scores (max over windows), written as a {@code parapet-head/1} file
 * and, for binary tasks, exported fused as a Hugging Face-layout ONNX classifier.
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = Parapet.Version.class,
        description = {"Train a head on a frozen encoder from labelled rows (JSON Lines or CSV; the field conventions of eval) "
                + "with the shipped recipe of the task, print the dev report, write <out>/<task>.json and, for toxicity and "
                + "refusal, export the fused ONNX model (--fused DIR) that eval --model and a classifier config entry load.",
                "--task all retrains the three default heads from a datasets folder laid out as ../shared/datasets "
                        + "(<task>/train.jsonl, <task>/dev.jsonl) with guard-train's TrainDefaults and prints its report."},
        footerHeading = "%nExamples:%n",
        footer = {"  parapet train --task toxicity --data labelled.jsonl --dev dev.jsonl \\",
                "      --out heads/ --fused models/my-toxicity",
                "  parapet train --task refusal --data train.csv --dev dev.csv \\",
                "      --encoder minilm --max-length 128 --out heads/",
                "  parapet train --task all --data ../shared/datasets --out heads/ --fused fused/"})
final class TrainCommand implements Callable<Integer>, Parapet.HasCommonOptions {
    /** Texts per embedding call: a cache entry and a progress step. */
    static final int CHUNK = 512;

    @ParentCommand
    Parapet root;

    @Mixin
    CommonOptions common;

    @Option(names = {"-t", "--task"}, required = true, paramLabel = "TASK", description = "toxicity, refusal, preference or all.")
    String task;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "FILE", description = "Training rows (--task all: the datasets folder).")
    Path data;

    @Option(names = "--dev", paramLabel = "FILE", description = "Dev rows for the report (required except with --task all).")
    Path dev;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Where <task>.json is written.")
    Path out;

    @Option(names = "--fused", paramLabel = "DIR",
            description = "Export the fused Hugging Face-layout ONNX model of a toxicity or refusal head into DIR (--task all: DIR/toxicity and DIR/refusal).")
    Path fused;

    @Option(names = "--encoder", paramLabel = "NAME", defaultValue = "bge-small-en-v1.5-q",
            description = "Frozen encoder: bge-small-en-v1.5-q (bge) or all-minilm-l6-v2-q (minilm) (default: ${DEFAULT-VALUE}).")
    String encoder;

    @Option(names = "--max-length", paramLabel = "TOKENS", defaultValue = "256", description = "Window length in tokens (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--head", paramLabel = "KIND", defaultValue = "auto",
            description = "auto (the recipe's candidates, chosen on validation), linear or mlp (only those candidates) (default: ${DEFAULT-VALUE}).")
    String head;

    @Option(names = "--helpfulness", paramLabel = "FILE",
            description = "Preference: refusal rows (prompt,response,label) whose answers must beat refusals, added as in the shipped recipe.")
    Path helpfulness;

    @Option(names = "--borrow", paramLabel = "FILE",
            description = "Refusal: preference rows whose assistant turns are weakly labelled and added, as in the shipped recipe.")
    Path borrow;

    @Option(names = "--insults", paramLabel = "FILE",
            description = "Refusal: toxicity rows (text,label) whose toxic texts join the fit split as compliance, an insult not being "
                    + "a refusal (the shipped recipe takes 1,000 of toxicity/train.jsonl; see --insult-rows).")
    Path insults;

    @Option(names = "--insult-rows", paramLabel = "N", defaultValue = "1000",
            description = "How many toxic texts of --insults to add, a seeded sample (default: ${DEFAULT-VALUE}).")
    int insultRows;

    @Option(names = "--opening", paramLabel = "TOKENS", defaultValue = "0",
            description = "Toxicity or refusal: the head also reads the text's first TOKENS tokens encoded on their own, beside its windows "
                    + "(0: none; the shipped refusal head reads 8; see docs/models.md) (default: ${DEFAULT-VALUE}).")
    int opening;

    @Option(names = "--layers", paramLabel = "I[,J...]", defaultValue = "none",
            description = "The head also reads these intermediate encoder layers (0-based BERT layers, e.g. 7; bge-small has 12), "
                    + "pooled like the last layer in every block; 'none' for the last layer alone (default: ${DEFAULT-VALUE}; "
                    + "the shipped heads' choice is in docs/models.md).")
    String layers;

    @Option(names = "--lexicon", paramLabel = "WORDS", defaultValue = "0",
            description = "Toxicity or refusal: the head also reads which of the WORDS word pieces most frequent in the training texts "
                    + "each window holds (0: none; see docs/models.md) (default: ${DEFAULT-VALUE}).")
    int lexicon;

    @Option(names = "--seed", defaultValue = "13", description = "Random seed of split and fit (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Encoder threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--cache", paramLabel = "DIR", description = "Embedding cache (default: parapet-embedding-cache in the temp folder).")
    Path cache;

    @Option(names = "--json", description = "Print the dev figures as one JSON object instead of the report.")
    boolean json;

    private List<String> taps = List.of();
    private final List<Embedder> tapEmbedders = new ArrayList<>();

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws IOException {
        if (threads < 1) {
            throw new CliException("--threads must be at least 1, got " + threads);
        }
        if (maxLength < 16 || maxLength > 512) {
            throw new CliException("--max-length must be in [16, 512], got " + maxLength);
        }
        if (!List.of("auto", "linear", "mlp").contains(head)) {
            throw new CliException("--head must be auto, linear or mlp, got '" + head + "'");
        }
        Path cacheDir = cache != null ? cache : Path.of(System.getProperty("java.io.tmpdir"), "parapet-embedding-cache");
        if (task.equals("all")) {
            return all(cacheDir);
        }
        Task t;
        try {
            t = Task.valueOf(task.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliException("--task must be toxicity, refusal, preference or all, got '" + task + "'");
        }
        if (dev == null) {
            throw new CliException("--dev FILE is required: the report is made on it");
        }
        if (fused != null && !t.binary()) {
            throw new CliException("--fused exports binary heads (toxicity, refusal); a preference head reads two texts and has no single-model layout");
        }
        if (helpfulness != null && t != Task.PREFERENCE || borrow != null && t != Task.REFUSAL) {
            throw new CliException("--helpfulness is for --task preference and --borrow for --task refusal");
        }
        if (opening != 0 && (opening < 3 || opening > maxLength)) {
            throw new CliException("--opening must be 0 (none) or in [3, --max-length " + maxLength + "], got " + opening);
        }
        if (lexicon < 0) {
            throw new CliException("--lexicon must be 0 (none) or a positive number of word pieces, got " + lexicon);
        }
        if (insults != null && t != Task.REFUSAL) {
            throw new CliException("--insults is for --task refusal");
        }
        if (insultRows < 0) {
            throw new CliException("--insult-rows must be >= 0, got " + insultRows);
        }
        if (opening != 0 && t == Task.PREFERENCE) {
            throw new CliException("--opening is for toxicity and refusal heads; a preference head reads two whole texts");
        }
        if (lexicon != 0 && t == Task.PREFERENCE) {
            throw new CliException("--lexicon is for toxicity and refusal heads; a preference head reads two whole texts");
        }
        EncoderSpec spec;
        try {
            spec = EncoderSpec.named(encoder);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        if (!EncoderSpec.shipped().contains(spec)) {
            // measurement encoders (guard-train's Experiments) are not dependencies of the command line
            throw new CliException("encoder '" + spec.name() + "' is for measurements only and is not bundled; expected one of "
                    + EncoderSpec.shipped().stream().map(EncoderSpec::name).toList());
        }
        try {
            taps = Taps.parseLayers(layers);
        } catch (IllegalArgumentException e) {
            throw new CliException("--layers must be 'none' or 0-based layer numbers separated by commas, got '" + layers + "'");
        }
        EmbeddingCache embeddingCache = new EmbeddingCache(cacheDir);
        long t0 = System.nanoTime();
        try (Embedder embedder = new Embedder(spec, maxLength, threads, null)) {
            for (String tap : taps) {
                tapEmbedders.add(new Embedder(spec, maxLength, threads, null, tap));
            }
            return t.binary() ? binary(t, spec, embedder, embeddingCache, t0) : preference(spec, embedder, embeddingCache, t0);
        } finally {
            tapEmbedders.forEach(Embedder::close);
            tapEmbedders.clear();
        }
    }

    private List<HeadModel> grid(List<HeadModel> recipe) {
        List<HeadModel> g = recipe.stream().filter(m -> head.equals("auto") || (head.equals("linear") == m.isLinear())).toList();
        if (g.isEmpty()) {
            throw new CliException("the " + task + " recipe has no " + head + " candidate; its candidates: " + recipe);
        }
        return g;
    }

    /** Embeddings in chunks, each a cache entry and a step of the progress bar. */
    private List<TextEmbedding> embed(Embedder embedder, EmbeddingCache cache, List<String> texts, String what) {
        return embed(embedder, cache, texts, what, 0);
    }

    /** Embeddings of the texts, with each text's opening of {@code opening} tokens attached when {@code opening > 0}. */
    private List<TextEmbedding> embed(Embedder embedder, EmbeddingCache cache, List<String> texts, String what, int opening) {
        List<TextEmbedding> outList = new ArrayList<>(texts.size());
        try (Progress p = Progress.start(root.err, "embed " + what, texts.size(), "texts", !common.noProgress)) {
            for (int i = 0; i < texts.size(); i += CHUNK) {
                List<String> chunk = texts.subList(i, Math.min(texts.size(), i + CHUNK));
                String name = "cli-" + what + "-" + (i / CHUNK);
                List<TextEmbedding> e = new ArrayList<>(cache.embed(embedder, chunk, name));
                List<List<TextEmbedding>> tapped = new ArrayList<>();
                for (Embedder te : tapEmbedders) {
                    tapped.add(cache.embed(te, chunk, name));
                }
                for (int k = 0; k < e.size() && !taps.isEmpty(); k++) {
                    int kk = k;
                    e.set(k, e.get(k).withTaps(taps, tapped.stream().map(x -> x.get(kk)).toList()));
                }
                if (opening > 0) {
                    List<TextEmbedding> o = cache.embed(embedder, chunk, name, opening);
                    List<List<TextEmbedding>> to = new ArrayList<>();
                    for (Embedder te : tapEmbedders) {
                        to.add(cache.embed(te, chunk, name, opening));
                    }
                    for (int k = 0; k < e.size(); k++) {
                        int kk = k;
                        e.set(k, e.get(k).withOpening(o.get(k).withTaps(taps, to.stream().map(x -> x.get(kk)).toList()).pooled()));
                    }
                }
                outList.addAll(e);
                p.step(chunk.size());
            }
        }
        return outList;
    }

    private int binary(Task t, EncoderSpec spec, Embedder embedder, EmbeddingCache cache, long t0) throws IOException {
        List<LabelledText> train = readBinary(t, data);
        List<LabelledText> devRows = readBinary(t, dev);
        Tasks.BinaryRecipe recipe = t == Task.TOXICITY ? TrainDefaults.TOXICITY : TrainDefaults.REFUSAL;
        List<LabelledText> rows = new ArrayList<>(train);
        List<Integer> source = null;
        if (recipe.augment()) {
            rows.clear();
            source = new ArrayList<>();
            for (RefusalAugmentation.Row r : RefusalAugmentation.augment(train, seed)) {
                rows.add(r.row());
                source.add(r.source());
            }
        }
        int borrowed = 0;
        if (borrow != null) {
            for (Records.Row r : Records.read(borrow)) {
                for (String field : List.of("chosen", "rejected")) {
                    String text = r.require(field);
                    int label = RefusalAugmentation.weakLabel(text);
                    if (label >= 0) {
                        if (source == null) {
                            source = new ArrayList<>();
                            for (int i = 0; i < rows.size(); i++) {
                                source.add(i);
                            }
                        }
                        // an original of its own, so part of it lands in the validation split
                        source.add(rows.size());
                        rows.add(new LabelledText(r.require("prompt"), text, label));
                        borrowed++;
                    }
                }
            }
        }
        int insultsAdded = 0;
        if (insults != null) {
            // a file of insults alone is fine here: only its toxic rows are used
            List<LabelledText> toxic = new ArrayList<>();
            for (Records.Row r : Records.read(insults)) {
                if (Task.TOXICITY.parseLabel(r, "label") == 1) {
                    toxic.add(new LabelledText(null, r.require("text"), 1));
                }
            }
            if (toxic.isEmpty()) {
                throw new CliException(insults + " has no 'toxic' rows to add as compliance");
            }
            java.util.Collections.shuffle(toxic, new java.util.Random(seed));
            if (source == null) {
                source = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    source.add(i);
                }
            }
            for (LabelledText r : toxic.subList(0, Math.min(insultRows, toxic.size()))) {
                source.add(-1); // fit split only
                rows.add(new LabelledText(null, r.text(), 0));
                insultsAdded++;
            }
        }
        List<TextEmbedding> trainE = embed(embedder, cache, rows.stream().map(LabelledText::text).toList(), t.id() + "-train", opening);
        List<TextEmbedding> devE = embed(embedder, cache, devRows.stream().map(LabelledText::text).toList(), t.id() + "-dev", opening);
        FeatureSpec features = (opening > 0 ? recipe.features().withOpening(opening, recipe.features().poolings().toArray(new Pooling[0]))
                : recipe.features()).withTaps(taps);
        if (lexicon > 0) {
            // each window's token ids (tokenizer only), the vocabulary from the training texts
            List<List<int[]>> trainPieces = embedder.windowPieces(rows.stream().map(LabelledText::text).toList());
            List<List<int[]>> devPieces = embedder.windowPieces(devRows.stream().map(LabelledText::text).toList());
            features = features.withLexicon(Lexicons.mostFrequent(trainPieces, lexicon));
            for (int i = 0; i < trainE.size(); i++) {
                trainE.set(i, trainE.get(i).withPieces(trainPieces.get(i)));
            }
            for (int i = 0; i < devE.size(); i++) {
                devE.set(i, devE.get(i).withPieces(devPieces.get(i)));
            }
        }
        float[][] x = features.textRows(trainE);
        int[] y = rows.stream().mapToInt(LabelledText::label).toArray();
        BinaryHeadTrainer.Options o = BinaryHeadTrainer.Options.defaults(grid(recipe.grid())).withSeed(seed)
                .withLog(common.noProgress ? null : root.err).withPrecisionTarget(recipe.precisionTarget());
        long fitStart = System.nanoTime();
        BinaryHeadTrainer.Fitted f = BinaryHeadTrainer.fit(x, y, source == null ? null : source.stream().mapToInt(Integer::intValue).toArray(), o);
        double fitSeconds = (System.nanoTime() - fitStart) / 1e9;
        List<String> labels = t.labels();
        EmbeddingHead provisional = f.toHead(t.id(), spec, maxLength, features, labels, Map.of());
        int[] yDev = devRows.stream().mapToInt(LabelledText::label).toArray();
        Evaluation ev = Evaluation.of(provisional, devE, yDev, true);

        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("task", t.id());
        meta.put("data", data.getFileName() + " (" + train.size() + " rows), trained with parapet train");
        meta.put("encoder_files", spec.onnxResource() + ", " + spec.tokenizerResource());
        meta.put("model", f.model().toString());
        meta.put("features", features.toString());
        meta.put("train_rows", x.length);
        meta.put("fit_rows", f.fitRows());
        meta.put("validation_rows", f.validationRows());
        meta.put("class_weights", "balanced");
        meta.put("augmentation", recipe.augment() ? "refusal openings removed or swapped (RefusalAugmentation)" : "none");
        if (insultsAdded > 0) {
            meta.put("toxic_compliance_rows", insultsAdded + " toxic texts of " + insults.getFileName() + " as compliance, fit split only");
        }
        if (borrowed > 0) {
            meta.put("borrowed_rows", borrowed + " weakly labelled assistant turns of " + borrow.getFileName());
        }
        meta.put("threshold_rule", Double.isNaN(recipe.precisionTarget()) ? "max F1 of '" + t.positive + "' on the validation split"
                : "lowest threshold with precision >= " + recipe.precisionTarget() + " on the validation split");
        meta.put("seed", seed);
        meta.put("dev_data", dev.getFileName().toString());
        meta.put("dev_macro_f1", round(ev.macroF1()));
        meta.put("dev_f1_" + t.positive, round(ev.flaggedF1()));
        meta.put("dev_roc_auc", round(ev.rocAuc()));
        meta.put("dev_pr_auc", round(ev.averagePrecision()));
        meta.put("dev_rows", yDev.length);
        EmbeddingHead h = f.toHead(t.id(), spec, maxLength, features, labels, meta);
        Path headFile = write(h, out.resolve(t.id() + ".json"));
        Path fusedDir = fused == null ? null : FusedExport.export(h, spec, fused);

        PrintStream o2 = root.out;
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("task", t.id());
            j.addProperty("head", headFile.toString());
            j.add("fused", Json.str(fusedDir == null ? null : fusedDir.toString()));
            j.addProperty("encoder", spec.name());
            j.addProperty("max_length", maxLength);
            j.addProperty("model", f.model().toString());
            j.addProperty("train_rows", x.length);
            j.addProperty("dev_rows", yDev.length);
            j.add("threshold", Json.num(ev.threshold()));
            j.add("precision", Json.num(ev.report().classes().get(1).precision()));
            j.add("recall", Json.num(ev.report().classes().get(1).recall()));
            j.add("f1", Json.num(ev.flaggedF1()));
            j.add("macro_f1", Json.num(ev.macroF1()));
            j.add("accuracy", Json.num(ev.report().accuracy()));
            j.add("roc_auc", Json.num(ev.rocAuc()));
            j.add("pr_auc", Json.num(ev.averagePrecision()));
            j.addProperty("support", yDev.length);
            j.add("seconds", Json.num(seconds));
            o2.println(Json.write(j));
            return ExitCodes.OK;
        }
        o2.printf(Locale.ROOT, "%s head: %s on %s of %s (%d-token windows), threshold %.4f (chosen on the validation split)%n", t.id(),
                f.model(), features, spec.name(), maxLength, h.threshold());
        o2.printf(Locale.ROOT, "trained on %s rows of %s (%s fit, %s validation) in %s%n", Format.count(x.length), data,
                Format.count(f.fitRows()), Format.count(f.validationRows()), Format.duration(fitSeconds));
        o2.printf(Locale.ROOT, "wrote %s (%s)%n", headFile, size(headFile));
        if (fusedDir != null) {
            o2.printf(Locale.ROOT, "fused ONNX model: %s (model.onnx, tokenizer.json, config.json)%n", fusedDir);
        }
        o2.printf(Locale.ROOT, "%nvalidation split per candidate:%n%n");
        TextTable c = new TextTable("candidate", "val PR-AUC", "val ROC-AUC", "fit s");
        for (BinaryHeadTrainer.Candidate k : f.candidates()) {
            c.row(k.model().toString(), Format.fixed(k.averagePrecision(), 4), Format.fixed(k.rocAuc(), 4), Format.fixed(k.seconds(), 1));
        }
        o2.print(c.markdown());
        o2.printf(Locale.ROOT, "%ndev report (%s, %s rows, scored as the runtime does: max over windows)%n%n", dev, Format.count(yDev.length));
        o2.print(ev.report().format(2));
        o2.printf(Locale.ROOT, "%nROC-AUC    %s%nPR-AUC     %s (average precision of '%s')%nthreshold  %s%n", Format.fixed(ev.rocAuc(), 4),
                Format.fixed(ev.averagePrecision(), 4), t.positive, Format.prob(ev.threshold()));
        o2.printf(Locale.ROOT, "%ndone in %s%n", Format.duration(seconds));
        if (fusedDir != null) {
            o2.printf(Locale.ROOT, "evaluate it: parapet eval --task %s --data %s --model %s%n", t.id(), dev, fusedDir);
        }
        return ExitCodes.OK;
    }

    private int preference(EncoderSpec spec, Embedder embedder, EmbeddingCache cache, long t0) throws IOException {
        Tasks.PreferenceRecipe recipe = TrainDefaults.PREFERENCE;
        List<PreferencePair> train = readPairs(data);
        List<PreferencePair> devPairs = readPairs(dev);
        List<PreferencePair> extra = helpfulness == null ? List.of()
                : PreferenceAugmentation.helpfulnessPairs(readBinary(Task.REFUSAL, helpfulness), seed);
        List<PreferencePair> all = new ArrayList<>(train);
        all.addAll(extra);
        PairEmbeddings e = embedPairs(embedder, cache, all, "preference-train");
        PairEmbeddings d = embedPairs(embedder, cache, devPairs, "preference-dev");
        FeatureSpec fs = recipe.features().withTaps(taps);
        float[][] xc = fs.pairRows(e.prompts(), e.chosen());
        float[][] xr = fs.pairRows(e.prompts(), e.rejected());
        double[] w = new double[all.size()];
        boolean[] primary = new boolean[all.size()];
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            w[i] = i < train.size() ? 1.0 : recipe.extraWeight();
            primary[i] = i < train.size();
            String p = all.get(i).prompt();
            // the helpfulness pairs of one prompt share a group, whatever form the prompt took
            groups.add(i >= train.size() && p.startsWith("Human: ") ? p.substring(7) : p);
        }
        RewardHeadTrainer.Options o = new RewardHeadTrainer.Options(grid(recipe.grid()), 0.15, seed, 2, recipe.minPreferenceQuantile(),
                common.noProgress ? null : root.err);
        long fitStart = System.nanoTime();
        RewardHeadTrainer.Fitted f = RewardHeadTrainer.fit(xc, xr, w, groups, extra.isEmpty() ? null : primary, o);
        double fitSeconds = (System.nanoTime() - fitStart) / 1e9;
        EmbeddingHead provisional = f.toHead("preference", spec, maxLength, fs, Tasks.PREFERENCE_LABELS, Map.of());
        double[] sc = new double[devPairs.size()];
        double[] sr = new double[devPairs.size()];
        int chosenFlagged = 0;
        int rejectedFlagged = 0;
        for (int i = 0; i < devPairs.size(); i++) {
            var prompt = d.prompts().get(i).pooled();
            sc[i] = provisional.score(provisional.pairFeatures(prompt, d.chosen().get(i).pooled()));
            sr[i] = provisional.score(provisional.pairFeatures(prompt, d.rejected().get(i).pooled()));
            chosenFlagged += provisional.probability(prompt, d.chosen().get(i).pooled()) < provisional.threshold() ? 1 : 0;
            rejectedFlagged += provisional.probability(prompt, d.rejected().get(i).pooled()) < provisional.threshold() ? 1 : 0;
        }
        double acc = Metrics.pairwiseAccuracy(sc, sr);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("task", "preference");
        meta.put("data", data.getFileName() + " (" + train.size() + " pairs), trained with parapet train");
        meta.put("encoder_files", spec.onnxResource() + ", " + spec.tokenizerResource());
        meta.put("model", f.model().toString());
        meta.put("features", fs.toString());
        meta.put("loss", "pairwise logistic (Bradley-Terry): -log sigmoid(r(prompt, chosen) - r(prompt, rejected))");
        meta.put("train_pairs", train.size());
        meta.put("train_pairs_helpfulness", extra.size());
        meta.put("helpfulness_pair_weight", recipe.extraWeight());
        meta.put("threshold_rule", "minimum preference = " + recipe.minPreferenceQuantile() + " quantile of validation chosen responses");
        meta.put("seed", seed);
        meta.put("validation_pairwise_accuracy", round(f.validationAccuracy()));
        meta.put("dev_data", dev.getFileName().toString());
        meta.put("dev_pairwise_accuracy", round(acc));
        meta.put("dev_pairs", devPairs.size());
        EmbeddingHead h = f.toHead("preference", spec, maxLength, fs, Tasks.PREFERENCE_LABELS, meta);
        Path headFile = write(h, out.resolve("preference.json"));
        double seconds = (System.nanoTime() - t0) / 1e9;
        PrintStream o2 = root.out;
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("task", "preference");
            j.addProperty("head", headFile.toString());
            j.addProperty("encoder", spec.name());
            j.addProperty("max_length", maxLength);
            j.addProperty("model", f.model().toString());
            j.addProperty("train_pairs", train.size());
            j.addProperty("helpfulness_pairs", extra.size());
            j.add("pairwise_accuracy", Json.num(acc));
            j.add("validation_pairwise_accuracy", Json.num(f.validationAccuracy()));
            j.add("threshold", Json.num(h.threshold()));
            j.add("chosen_flagged", Json.num((double) chosenFlagged / devPairs.size()));
            j.add("rejected_flagged", Json.num((double) rejectedFlagged / devPairs.size()));
            j.addProperty("support", devPairs.size());
            j.add("seconds", Json.num(seconds));
            o2.println(Json.write(j));
            return ExitCodes.OK;
        }
        o2.printf(Locale.ROOT, "preference head: %s on %s of %s (%d-token windows), minimum preference %.4f%n", f.model(), fs, spec.name(),
                maxLength, h.threshold());
        o2.printf(Locale.ROOT, "trained on %s pairs of %s%s in %s%n", Format.count(train.size()), data,
                extra.isEmpty() ? "" : " + " + Format.count(extra.size()) + " helpfulness pairs (weight " + recipe.extraWeight() + ")",
                Format.duration(fitSeconds));
        o2.printf(Locale.ROOT, "wrote %s (%s)%n", headFile, size(headFile));
        o2.printf(Locale.ROOT, "%nvalidation split per candidate:%n%n");
        TextTable c = new TextTable("candidate", "val pair loss", "val accuracy", "fit s");
        for (RewardHeadTrainer.Candidate k : f.candidates()) {
            c.row(k.model().toString(), Format.fixed(k.pairwiseLoss(), 4), Format.fixed(k.pairwiseAccuracy(), 4), Format.fixed(k.seconds(), 1));
        }
        o2.print(c.markdown());
        o2.printf(Locale.ROOT, "%ndev report (%s, %s pairs)%n%n", dev, Format.count(devPairs.size()));
        o2.printf(Locale.ROOT, "pairwise accuracy  %.4f (validation split: %.4f)%n", acc, f.validationAccuracy());
        o2.printf(Locale.ROOT, "minimum preference %.4f: flags %.1f%% of dev chosen and %.1f%% of dev rejected responses%n", h.threshold(),
                100.0 * chosenFlagged / devPairs.size(), 100.0 * rejectedFlagged / devPairs.size());
        o2.printf(Locale.ROOT, "%ndone in %s%n", Format.duration(seconds));
        return ExitCodes.OK;
    }

    /** Embeddings of preference pairs, index-aligned. */
    private record PairEmbeddings(List<TextEmbedding> prompts, List<TextEmbedding> chosen, List<TextEmbedding> rejected) {
    }

    private PairEmbeddings embedPairs(Embedder embedder, EmbeddingCache cache, List<PreferencePair> pairs, String what) {
        List<String> texts = new ArrayList<>(3 * pairs.size());
        pairs.forEach(p -> texts.add(p.prompt()));
        pairs.forEach(p -> texts.add(p.chosen()));
        pairs.forEach(p -> texts.add(p.rejected()));
        List<TextEmbedding> e = embed(embedder, cache, texts, what);
        int n = pairs.size();
        return new PairEmbeddings(e.subList(0, n), e.subList(n, 2 * n), e.subList(2 * n, 3 * n));
    }

    /** guard-train's {@link TrainDefaults} on a datasets folder: the three shipped heads and their report. */
    private int all(Path cacheDir) {
        if (!Files.isDirectory(data.resolve("toxicity")) || !Files.isDirectory(data.resolve("refusal")) || !Files.isDirectory(data.resolve("preference"))) {
            throw new CliException("--task all needs --data to be a datasets folder with toxicity/, refusal/ and preference/ "
                    + "(train.jsonl and dev.jsonl in each), like ../shared/datasets");
        }
        if (dev != null || helpfulness != null || borrow != null || insults != null || !head.equals("auto") || opening != 0) {
            throw new CliException("--task all uses the shipped recipes as they are; --dev, --helpfulness, --borrow, --insults, --head and "
                    + "--opening are for one task");
        }
        if (!encoder.equals("bge-small-en-v1.5-q") || maxLength != TrainDefaults.MAX_LENGTH) {
            throw new CliException("--task all trains on the shipped encoder and window (" + TrainDefaults.ENCODER.name() + ", "
                    + TrainDefaults.MAX_LENGTH + " tokens); train one task to choose others");
        }
        long t0 = System.nanoTime();
        TrainDefaults.Result r = TrainDefaults.run(data, out, seed, new EmbeddingCache(cacheDir), root.err);
        StringBuilder md = new StringBuilder(r.markdown());
        if (fused != null) {
            md.append("\n### Fused exports\n\n");
            for (Tasks.BinaryResult b : List.of(r.toxicity(), r.refusal())) {
                Path d = FusedExport.export(b.head(), TrainDefaults.ENCODER, fused.resolve(b.head().name()));
                md.append("- ").append(b.head().name()).append(": ").append(d).append('\n');
            }
        }
        md.append(String.format(Locale.ROOT, "%nWrote toxicity.json, refusal.json and preference.json to %s in %s.%n", out,
                Format.duration((System.nanoTime() - t0) / 1e9)));
        root.out.print(md);
        return ExitCodes.OK;
    }

    private static List<LabelledText> readBinary(Task t, Path file) {
        List<LabelledText> rows = new ArrayList<>();
        for (Records.Row r : Records.read(file)) {
            String prompt = t == Task.REFUSAL ? r.require("prompt") : null;
            String text = r.require(t == Task.REFUSAL ? "response" : "text");
            rows.add(new LabelledText(prompt, text, t.parseLabel(r, "label")));
        }
        if (rows.isEmpty()) {
            throw new CliException(file + " has no rows");
        }
        long pos = rows.stream().filter(x -> x.label() == 1).count();
        if (pos == 0 || pos == rows.size()) {
            throw new CliException(file + " has only '" + (pos == 0 ? t.negative : t.positive) + "' rows; training and the report need both labels");
        }
        return rows;
    }

    private static List<PreferencePair> readPairs(Path file) {
        List<PreferencePair> rows = new ArrayList<>();
        for (Records.Row r : Records.read(file)) {
            rows.add(new PreferencePair(r.require("prompt"), r.require("chosen"), r.require("rejected")));
        }
        if (rows.isEmpty()) {
            throw new CliException(file + " has no rows");
        }
        return rows;
    }

    private static Path write(EmbeddingHead h, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        h.write(bytes);
        Files.write(file, bytes.toByteArray());
        return file;
    }

    private static String size(Path file) throws IOException {
        long b = Files.size(file);
        return b >= 1024 ? String.format(Locale.ROOT, "%.1f KB", b / 1024.0) : b + " bytes";
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
