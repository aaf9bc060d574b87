package dev.parapet.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.langchain4j.model.chat.ChatModel;
import dev.parapet.core.ScanInput;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.train.ClassificationReport;
import dev.parapet.train.Evaluation;
import dev.parapet.train.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code parapet eval}: scanners, model directories, configurations or an LLM judge against
 * labelled data, with scikit-learn's classification report, ROC-AUC, PR-AUC, the confusion matrix
 * and the threshold used (preference: pairwise accuracy).
 */
@Command(name = "eval",
        mixinStandardHelpOptions = true,
        versionProvider = Parapet.Version.class,
        description = {"Evaluate a scanner against labelled data (JSON Lines or CSV): toxicity rows text,label (toxic/non-toxic); "
                + "refusal rows prompt,response,label (refusal/compliance); preference rows prompt,chosen,rejected.",
                "What is scored: the default models (without --model/--config/--judge-model, or with --defaults), each --model "
                        + "DIR (a Hugging Face-layout classifier), each --config FILE (its scanner named like the task: toxicity "
                        + "in input_scanners then output_scanners, refusal and preference in output_scanners; --scanner picks "
                        + "another name) and an LLM judge (--judge-model). Scores for ROC/PR are each result's score; the threshold "
                        + "is the scanner's. Judges answer a label, so their scores are 0/1 (threshold 0.5) and their ROC-AUC and "
                        + "PR-AUC describe one operating point.",
                "Prints scikit-learn's classification_report layout, ROC-AUC, PR-AUC (average precision), the confusion matrix "
                        + "and the threshold; preference prints pairwise accuracy. Several models print one comparison table."},
        footerHeading = "%nExamples:%n",
        footer = {"  parapet eval --task toxicity --data ../shared/datasets/toxicity/dev.jsonl",
                "  parapet eval --task refusal --data refusal-dev.jsonl --defaults \\",
                "      --model guard-train/target/fused/refusal --plots plots/",
                "  parapet eval --task toxicity --data dev.csv --judge-model gpt-4o-mini --json"})
final class EvalCommand implements Callable<Integer>, Parapet.HasCommonOptions {
    @ParentCommand
    Parapet root;

    @Mixin
    CommonOptions common;

    @Mixin
    ProviderOptions providerOptions;

    @Option(names = {"-t", "--task"}, required = true, paramLabel = "TASK", description = "toxicity, refusal or preference.")
    Task task;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "FILE", description = "Labelled rows: JSON Lines, or .csv/.tsv with a header.")
    Path data;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR", description = "A Hugging Face-layout classifier directory (repeatable).")
    List<Path> models = new ArrayList<>();

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "A guard configuration file (repeatable).")
    List<Path> configs = new ArrayList<>();

    @Option(names = "--defaults", description = "Also evaluate the default models when --model, --config or a judge is given.")
    boolean defaults;

    @Option(names = "--scanner", paramLabel = "NAME", description = "With --config: the scanner to evaluate (default: the one named like the task).")
    String scanner;

    @Option(names = "--threshold", paramLabel = "P", description = "With --model: the threshold (default: config.json's parapet.threshold, else 0.5).")
    Double threshold;

    @Option(names = "--flagged-label", paramLabel = "LABEL",
            description = "With --model: the label whose probability is the score (default: config.json's parapet.flagged_label, else the second label).")
    String flaggedLabel;

    @Option(names = "--judge-model", paramLabel = "NAME", description = "Also evaluate an LLM judge: the chat model's name (e.g. gpt-4o-mini).")
    String judgeModel;

    @Option(names = "--judge-base-url", paramLabel = "URL", defaultValue = Judges.DEFAULT_BASE_URL,
            description = "The judge's OpenAI-compatible endpoint (default: ${DEFAULT-VALUE}).")
    String judgeBaseUrl;

    @Option(names = "--judge-api-key-env", paramLabel = "VAR", defaultValue = Judges.DEFAULT_KEY_VARIABLE,
            description = "Environment variable holding the judge's API key (default: ${DEFAULT-VALUE}).")
    String judgeKeyEnv;

    @Option(names = "--judge-concurrency", paramLabel = "N", defaultValue = "4", description = "Judge calls in flight (default: ${DEFAULT-VALUE}).")
    int judgeConcurrency;

    @Option(names = "--judge-timeout", paramLabel = "SECONDS", defaultValue = "60", description = "Time limit of one judge call (default: ${DEFAULT-VALUE}).")
    int judgeTimeout;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N rows.")
    Integer limit;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64", description = "Texts per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--json", description = "Print one JSON object per evaluated model instead of the report.")
    boolean json;

    @Option(names = "--plots", paramLabel = "DIR", description = "Write PNG charts there: ROC, precision-recall, score histograms per class.")
    Path plots;

    @Option(names = "--sweep", description = "Toxicity and refusal: also print precision, recall, F1, macro-F1 and the share flagged at "
            + "thresholds 0.1 to 0.9 and the scanner's own, to choose a threshold for your data.")
    boolean sweep;

    /** The thresholds {@code --sweep} adds to the scanner's own. */
    static final double[] SWEEP = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

    @Override
    public CommonOptions common() {
        return common;
    }

    /** What one model scored. */
    record Outcome(EvalCandidate.Info info, Scoring.Scores scores, Evaluation binary, Preference preference, int scored,
                   double[] probabilities, int[] labels) {
    }

    /** Pairwise results. */
    record Preference(double accuracy, int pairs, double threshold, double chosenFlagged, double rejectedFlagged,
                      double[] chosenScores, double[] rejectedScores) {
    }

    @Override
    public Integer call() {
        if (limit != null && limit < 1) {
            throw new CliException("--limit must be at least 1, got " + limit);
        }
        if (batchSize < 1 || judgeConcurrency < 1 || judgeTimeout < 1) {
            throw new CliException("--batch-size, --judge-concurrency and --judge-timeout must be at least 1");
        }
        if (threshold != null && !(threshold > 0 && threshold <= 1)) {
            throw new CliException("--threshold must be in (0, 1], got " + threshold);
        }
        if (sweep && !task.binary()) {
            throw new CliException("--sweep needs a task with a flagged class (toxicity or refusal); preference prints pairwise accuracy");
        }
        EvalData d = EvalData.read(task, data, limit == null ? Integer.MAX_VALUE : limit);
        List<Supplier<EvalCandidate>> candidates = candidates();
        List<Outcome> outcomes = new ArrayList<>();
        for (Supplier<EvalCandidate> make : candidates) {
            try (EvalCandidate c = make.get()) {
                outcomes.add(evaluate(c, d));
            }
        }
        PrintStream out = root.out;
        if (json) {
            for (Outcome o : outcomes) {
                out.println(Json.write(json(o, d)));
            }
        } else {
            out.print(outcomes.size() == 1 ? report(outcomes.get(0), d) : comparison(outcomes, d));
            if (sweep) {
                for (Outcome o : outcomes) {
                    out.print('\n' + sweepTable(o));
                }
            }
        }
        if (plots != null) {
            List<Path> written = plot(outcomes, d);
            (json ? root.err : out).println("plots: " + String.join(", ", written.stream().map(Path::toString).toList()));
        }
        return ExitCodes.OK;
    }

    private List<Supplier<EvalCandidate>> candidates() {
        List<Supplier<EvalCandidate>> list = new ArrayList<>();
        // --provider applies to the default models and --model directories; a --config file sets its own
        RuntimeOptions runtime = providerOptions.apply(RuntimeOptions.builder()).build();
        boolean others = !models.isEmpty() || !configs.isEmpty() || judgeModel != null;
        if (!others || defaults) {
            list.add(() -> EvalCandidate.defaults(task, runtime));
        }
        for (Path m : models) {
            list.add(() -> EvalCandidate.modelDirectory(task, m, threshold, flaggedLabel, runtime));
        }
        for (Path c : configs) {
            list.add(() -> EvalCandidate.config(task, c, scanner));
        }
        if (judgeModel != null) {
            if (task == Task.PREFERENCE) {
                throw new CliException("the LLM judge labels single texts (toxicity, refusal); it has no pairwise preference mode");
            }
            String key = Judges.apiKey(root.env, judgeKeyEnv);
            ChatModel model = Judges.openAi(judgeBaseUrl, judgeModel, key, Duration.ofSeconds(judgeTimeout), 0.0);
            list.add(() -> EvalCandidate.judge(task, model, judgeModel, Duration.ofSeconds(judgeTimeout), judgeConcurrency));
        }
        return list;
    }

    private Outcome evaluate(EvalCandidate c, EvalData d) {
        List<ScanInput> inputs = new ArrayList<>();
        if (task.binary()) {
            for (EvalData.Example e : d.examples()) {
                inputs.add(c.input(task, e.prompt(), e.text()));
            }
        } else {
            for (EvalData.Pair p : d.pairs()) {
                inputs.add(ScanInput.output(p.prompt(), p.chosen()));
                inputs.add(ScanInput.output(p.prompt(), p.rejected()));
            }
        }
        Scoring.Scores s;
        try (Progress p = Progress.start(root.err, "eval " + Format.abbreviate(c.name(), 30), inputs.size(), task.binary() ? "rows" : "responses", !common.noProgress)) {
            s = Scoring.run(c.scanner(), inputs, batchSize, c.concurrency(), p);
        }
        if (s.errors() == inputs.size()) {
            throw new CliException(c.name() + ": no row could be scored (first error: " + s.firstError() + ")", ExitCodes.INTERNAL, null);
        }
        if (Double.isNaN(s.threshold())) {
            throw new CliException(c.name() + ": scanner '" + c.scanner().name() + "' reports no threshold (a rule scanner?); eval needs a scored model");
        }
        EvalCandidate.Info info = c.info();
        if (task.binary()) {
            int[] yAll = d.labels();
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < yAll.length; i++) {
                if (!Double.isNaN(s.scores()[i])) {
                    keep.add(i);
                }
            }
            double[] p = new double[keep.size()];
            int[] y = new int[keep.size()];
            for (int k = 0; k < p.length; k++) {
                p[k] = s.scores()[keep.get(k)];
                y[k] = yAll[keep.get(k)];
            }
            return new Outcome(info, s, Evaluation.of(task.labels(), p, y, s.threshold()), null, p.length, p, y);
        }
        List<Double> chosen = new ArrayList<>();
        List<Double> rejected = new ArrayList<>();
        for (int i = 0; i < d.pairs().size(); i++) {
            double a = s.scores()[2 * i];
            double b = s.scores()[2 * i + 1];
            if (!Double.isNaN(a) && !Double.isNaN(b)) {
                chosen.add(a);
                rejected.add(b);
            }
        }
        double[] sc = chosen.stream().mapToDouble(Double::doubleValue).toArray();
        double[] sr = rejected.stream().mapToDouble(Double::doubleValue).toArray();
        // a score is the probability of the flagged condition (for preference: dispreferred), so lower is better
        double[] gc = new double[sc.length];
        double[] gr = new double[sr.length];
        int fc = 0;
        int fr = 0;
        for (int i = 0; i < sc.length; i++) {
            gc[i] = -sc[i];
            gr[i] = -sr[i];
            fc += sc[i] >= s.threshold() ? 1 : 0;
            fr += sr[i] >= s.threshold() ? 1 : 0;
        }
        Preference pref = new Preference(Metrics.pairwiseAccuracy(gc, gr), sc.length, s.threshold(), (double) fc / sc.length,
                (double) fr / sc.length, sc, sr);
        return new Outcome(info, s, null, pref, sc.length, null, null);
    }

    private String header(Outcome o, EvalData d) {
        return String.format(Locale.ROOT, "%s: %s on %s (%s %s)%n", task.id(), o.info().description(), d.file(),
                Format.count(d.size()), task.binary() ? "rows" : "pairs");
    }

    String report(Outcome o, EvalData d) {
        StringBuilder sb = new StringBuilder(header(o, d)).append('\n');
        Scoring.Scores s = o.scores();
        if (o.binary() != null) {
            Evaluation ev = o.binary();
            sb.append(ev.report().format(2)).append('\n');
            sb.append(String.format(Locale.ROOT, "ROC-AUC    %s%n", Format.fixed(ev.rocAuc(), 4)));
            sb.append(String.format(Locale.ROOT, "PR-AUC     %s (average precision of '%s')%n", Format.fixed(ev.averagePrecision(), 4), task.positive));
            sb.append(String.format(Locale.ROOT, "threshold  %s (the scanner's; score >= threshold counts as '%s')%n", Format.prob(ev.threshold()),
                    task.positive));
            if (o.info().judge()) {
                sb.append("note: a judge answers a label, so its scores are 0/1 and ROC-AUC and PR-AUC describe one operating point\n");
            }
            sb.append("\nconfusion matrix (rows: true label, columns: predicted)\n");
            long[][] m = ev.report().confusionMatrix();
            List<String> head = new ArrayList<>();
            head.add("");
            head.addAll(task.labels());
            TextTable t = new TextTable(head);
            for (int i = 0; i < 2; i++) {
                t.row(task.labels().get(i), Long.toString(m[i][0]), Long.toString(m[i][1]));
            }
            sb.append(indent(t.render()));
        } else {
            Preference p = o.preference();
            sb.append(String.format(Locale.ROOT, "pairwise accuracy  %s (share of pairs where the chosen response scores better; ties count one half)%n",
                    Format.fixed(p.accuracy(), 4)));
            sb.append(String.format(Locale.ROOT, "threshold          %s (the scanner's, on the %s score%s)%n", Format.prob(p.threshold()),
                    s.label() == null ? "flagged" : "'" + s.label() + "'",
                    "dispreferred".equals(s.label()) ? String.format(Locale.ROOT, ": flags a preference below %s", Format.prob(1 - p.threshold())) : ""));
            sb.append(String.format(Locale.ROOT, "flagged            %.1f%% of chosen, %.1f%% of rejected responses%n", 100 * p.chosenFlagged(),
                    100 * p.rejectedFlagged()));
        }
        sb.append('\n').append(scoredLine(o));
        return sb.toString();
    }

    /** The figures at each threshold of {@link #SWEEP} and the scanner's own, in increasing order. */
    List<Evaluation> sweep(Outcome o) {
        java.util.TreeSet<Double> ts = new java.util.TreeSet<>();
        for (double t : SWEEP) {
            ts.add(t);
        }
        ts.add(o.binary().threshold());
        List<Evaluation> out = new ArrayList<>();
        for (double t : ts) {
            out.add(Evaluation.of(task.labels(), o.probabilities(), o.labels(), t));
        }
        return out;
    }

    private static double flaggedShare(Evaluation ev) {
        long[][] m = ev.report().confusionMatrix();
        long n = m[0][0] + m[0][1] + m[1][0] + m[1][1];
        return n == 0 ? Double.NaN : (double) (m[0][1] + m[1][1]) / n;
    }

    String sweepTable(Outcome o) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "threshold sweep for %s (score >= threshold counts as '%s')%n",
                o.info().name(), task.positive));
        TextTable t = new TextTable("threshold", "precision", "recall", "F1", "macro-F1", "flagged");
        for (Evaluation ev : sweep(o)) {
            ClassificationReport.Row pos = ev.report().classes().get(1);
            boolean own = ev.threshold() == o.binary().threshold();
            t.row(Format.prob(ev.threshold()) + (own ? " (scanner's)" : ""), Format.fixed(pos.precision(), 4), Format.fixed(pos.recall(), 4),
                    Format.fixed(pos.f1(), 4), Format.fixed(ev.macroF1(), 4), Format.fixed(100 * flaggedShare(ev), 1) + "%");
        }
        return sb.append(indent(t.render())).toString();
    }

    private String scoredLine(Outcome o) {
        Scoring.Scores s = o.scores();
        int n = s.scores().length;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "scored %s %s in %s (%.1f/s)%s%n", Format.count(n),
                task.binary() ? "rows" : "responses", Format.duration(s.seconds()), n / Math.max(1e-9, s.seconds()),
                s.provider() == null ? "" : ", provider " + s.provider()));
        if (s.errors() > 0) {
            sb.append(String.format(Locale.ROOT, "left out %d %s without a score (first: %s)%n", s.errors(), task.binary() ? "rows" : "responses",
                    Format.abbreviate(s.firstError(), 160)));
        }
        return sb.toString();
    }

    private static String indent(String s) {
        return s.lines().map(l -> "  " + l).reduce(new StringBuilder(), (b, l) -> b.append(l).append('\n'), StringBuilder::append).toString();
    }

    String comparison(List<Outcome> outcomes, EvalData d) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s on %s (%s %s)%n%n", task.id(), d.file(), Format.count(d.size()),
                task.binary() ? "rows" : "pairs"));
        TextTable t;
        if (task.binary()) {
            t = new TextTable("model", "threshold", "precision", "recall", "F1", "macro-F1", "accuracy", "ROC-AUC", "PR-AUC", "scored", "rows/s");
            for (Outcome o : outcomes) {
                Evaluation ev = o.binary();
                ClassificationReport.Row pos = ev.report().classes().get(1);
                t.row(o.info().name(), Format.prob(ev.threshold()), Format.fixed(pos.precision(), 4), Format.fixed(pos.recall(), 4),
                        Format.fixed(pos.f1(), 4), Format.fixed(ev.macroF1(), 4), Format.fixed(ev.report().accuracy(), 4),
                        Format.fixed(ev.rocAuc(), 4), Format.fixed(ev.averagePrecision(), 4), Integer.toString(o.scored()),
                        Format.fixed(o.scores().scores().length / Math.max(1e-9, o.scores().seconds()), 1));
            }
        } else {
            t = new TextTable("model", "pairwise accuracy", "threshold", "chosen flagged", "rejected flagged", "pairs", "responses/s");
            for (Outcome o : outcomes) {
                Preference p = o.preference();
                t.row(o.info().name(), Format.fixed(p.accuracy(), 4), Format.prob(p.threshold()), Format.fixed(100 * p.chosenFlagged(), 1) + "%",
                        Format.fixed(100 * p.rejectedFlagged(), 1) + "%", Integer.toString(p.pairs()),
                        Format.fixed(o.scores().scores().length / Math.max(1e-9, o.scores().seconds()), 1));
            }
        }
        sb.append(t.markdown()).append('\n');
        if (task.binary()) {
            sb.append(String.format(Locale.ROOT, "Precision, recall and F1 of '%s' at each model's threshold; PR-AUC is average precision.%n",
                    task.positive));
        }
        for (Outcome o : outcomes) {
            sb.append("- ").append(o.info().name()).append(": ").append(o.info().description());
            if (o.scores().errors() > 0) {
                sb.append(String.format(Locale.ROOT, "; %d left out without a score (first: %s)", o.scores().errors(),
                        Format.abbreviate(o.scores().firstError(), 120)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private JsonObject json(Outcome o, EvalData d) {
        JsonObject j = new JsonObject();
        j.addProperty("task", task.id());
        j.addProperty("data", d.file().toString());
        j.addProperty("model", o.info().name());
        j.addProperty("description", o.info().description());
        Scoring.Scores s = o.scores();
        if (o.binary() != null) {
            Evaluation ev = o.binary();
            ClassificationReport r = ev.report();
            ClassificationReport.Row pos = r.classes().get(1);
            j.addProperty("positive_label", task.positive);
            j.add("threshold", Json.num(ev.threshold()));
            j.add("precision", Json.num(pos.precision()));
            j.add("recall", Json.num(pos.recall()));
            j.add("f1", Json.num(pos.f1()));
            j.addProperty("support", o.scored());
            j.addProperty("support_positive", pos.support());
            j.add("macro_f1", Json.num(ev.macroF1()));
            j.add("weighted_f1", Json.num(r.weightedAvg().f1()));
            j.add("accuracy", Json.num(r.accuracy()));
            j.add("roc_auc", Json.num(ev.rocAuc()));
            j.add("pr_auc", Json.num(ev.averagePrecision()));
            JsonArray labels = new JsonArray();
            task.labels().forEach(labels::add);
            j.add("labels", labels);
            JsonArray cm = new JsonArray();
            for (long[] row : r.confusionMatrix()) {
                JsonArray a = new JsonArray();
                for (long v : row) {
                    a.add(v);
                }
                cm.add(a);
            }
            j.add("confusion_matrix", cm);
            if (sweep) {
                JsonArray sw = new JsonArray();
                for (Evaluation e : sweep(o)) {
                    ClassificationReport.Row ep = e.report().classes().get(1);
                    JsonObject row = new JsonObject();
                    row.add("threshold", Json.num(e.threshold()));
                    row.add("precision", Json.num(ep.precision()));
                    row.add("recall", Json.num(ep.recall()));
                    row.add("f1", Json.num(ep.f1()));
                    row.add("macro_f1", Json.num(e.macroF1()));
                    row.add("flagged_share", Json.num(flaggedShare(e)));
                    sw.add(row);
                }
                j.add("sweep", sw);
            }
            JsonArray classes = new JsonArray();
            for (ClassificationReport.Row row : r.classes()) {
                JsonObject c = new JsonObject();
                c.addProperty("label", row.label());
                c.add("precision", Json.num(row.precision()));
                c.add("recall", Json.num(row.recall()));
                c.add("f1", Json.num(row.f1()));
                c.addProperty("support", row.support());
                classes.add(c);
            }
            j.add("classes", classes);
            j.addProperty("judge", o.info().judge());
        } else {
            Preference p = o.preference();
            j.add("pairwise_accuracy", Json.num(p.accuracy()));
            j.addProperty("support", p.pairs());
            j.add("threshold", Json.num(p.threshold()));
            j.add("chosen_flagged", Json.num(p.chosenFlagged()));
            j.add("rejected_flagged", Json.num(p.rejectedFlagged()));
        }
        j.addProperty("rows", d.size());
        j.addProperty("errors", s.errors());
        j.add("first_error", Json.str(s.firstError()));
        j.add("provider", Json.str(s.provider()));
        j.add("seconds", Json.num(s.seconds()));
        return j;
    }

    private List<Path> plot(List<Outcome> outcomes, EvalData d) {
        List<Path> written = new ArrayList<>();
        String title = task.id() + " on " + (d.file().getFileName() == null ? d.file() : d.file().getFileName());
        if (task.binary()) {
            List<Charts.Curve> curves = new ArrayList<>();
            for (Outcome o : outcomes) {
                curves.add(new Charts.Curve(String.format(Locale.ROOT, "%s (AUC %.3f)", o.info().name(), o.binary().rocAuc()),
                        o.binary().probabilities(), o.binary().labels()));
            }
            written.add(Charts.roc(plots, "ROC: " + title, curves));
            List<Charts.Curve> pr = new ArrayList<>();
            for (Outcome o : outcomes) {
                pr.add(new Charts.Curve(String.format(Locale.ROOT, "%s (AP %.3f)", o.info().name(), o.binary().averagePrecision()),
                        o.binary().probabilities(), o.binary().labels()));
            }
            written.add(Charts.precisionRecall(plots, "Precision-recall: " + title, pr));
            for (Outcome o : outcomes) {
                double[] p = o.binary().probabilities();
                int[] y = o.binary().labels();
                List<Double> neg = new ArrayList<>();
                List<Double> pos = new ArrayList<>();
                for (int i = 0; i < p.length; i++) {
                    (y[i] == 1 ? pos : neg).add(p[i]);
                }
                written.add(Charts.histogram(plots, "scores-" + Charts.slug(o.info().name()) + ".png", "Scores of " + o.info().name(),
                        "score (probability of '" + task.positive + "')", task.negative, neg.stream().mapToDouble(Double::doubleValue).toArray(),
                        task.positive, pos.stream().mapToDouble(Double::doubleValue).toArray(), o.binary().threshold()));
            }
        } else {
            for (Outcome o : outcomes) {
                Preference p = o.preference();
                written.add(Charts.histogram(plots, "scores-" + Charts.slug(o.info().name()) + ".png", "Scores of " + o.info().name(),
                        "score (probability of '" + (o.scores().label() == null ? "flagged" : o.scores().label()) + "')",
                        "chosen", p.chosenScores(), "rejected", p.rejectedScores(), p.threshold()));
            }
        }
        return written;
    }
}
