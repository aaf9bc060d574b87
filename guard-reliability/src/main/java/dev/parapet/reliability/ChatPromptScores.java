package dev.parapet.reliability;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.models.DefaultModels;
import dev.parapet.train.ClassificationReport;
import dev.parapet.train.Evaluation;
import dev.parapet.train.PreferencePair;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The default toxicity scores of chat prompts, beside those of the data the threshold was chosen on.
 * The toxicity head's threshold comes from tweets and Wikipedia sentences; the dataset README warns
 * that it carries poorly to chat prompts. This program scores, through the default guard's prompt
 * stage (normaliser and toxicity head, each text alone), the two classes of
 * {@code toxicity/dev.jsonl} and three sets of chat prompts from the shared data that carry no
 * toxicity label: the prompts of ChatGPT's refusal data, the XSTest prompts of {@code refusal/dev}
 * (safe prompts that sound unsafe, and unsafe ones) and the last human turn of the HH red-team
 * dialogues. It prints each set's score quantiles and share flagged, and a threshold sweep: dev
 * precision, recall and macro-F1 against the share of each chat set flagged.
 *
 * <pre>
 * mvn -o -q install -DskipTests -pl guard-reliability -am
 * mvn -o -q -pl guard-reliability exec:java -Dexec.mainClass=dev.parapet.reliability.ChatPromptScores
 * </pre>
 * Options: {@code --data DIR} (default: ../shared/datasets, looked up from the working directory and
 * its parents), {@code --threads N} (2), {@code --csv PATH} (guard-reliability/target/chat-prompt-scores.csv:
 * set, score and text of every prompt, highest first within a set).
 */
public final class ChatPromptScores {
    static final double[] SWEEP = {0.5, 0.6, 0.7, 0.8, 0.9};

    private ChatPromptScores() {
    }

    public static void main(String[] args) throws Exception {
        Path data = null;
        int threads = 2;
        Path csv = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--csv" -> csv = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --data DIR --threads N --csv PATH");
            }
        }
        data = data != null ? data : Datasets.find("toxicity/dev.jsonl").getParent().getParent();
        csv = csv != null ? csv : Datasets.moduleTarget().resolve("chat-prompt-scores.csv");
        Map<String, List<String>> sets = sets(data);
        long start = System.nanoTime();
        try (DefaultModels models = DefaultModels.load(); Guard guard = models.guardBuilder().build()) {
            double threshold = models.toxicityHead().threshold();
            Map<String, double[]> scores = new LinkedHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (Map.Entry<String, List<String>> e : sets.entrySet()) {
                    scores.put(e.getKey(), score(pool, guard, e.getValue()));
                    System.err.printf(Locale.ROOT, "%s: %d texts (%.0f s)%n", e.getKey(), e.getValue().size(), (System.nanoTime() - start) / 1e9);
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.print(report(scores, threshold));
            Files.createDirectories(csv.toAbsolutePath().getParent());
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
                w.println("set,score,text");
                for (Map.Entry<String, List<String>> e : sets.entrySet()) {
                    double[] s = scores.get(e.getKey());
                    Integer[] order = new Integer[s.length];
                    Arrays.setAll(order, i -> i);
                    Arrays.sort(order, (a, b) -> Double.compare(s[b], s[a]));
                    for (int i : order) {
                        w.printf(Locale.ROOT, "%s,%.4f,\"%s\"%n", e.getKey(), s[i], e.getValue().get(i).replace("\"", "\"\"").replace('\n', ' '));
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%nwrote %s; %.0f s in all%n", csv, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The labelled reference sets first ({@link #TOXIC}, {@link #NON_TOXIC}), then the chat prompt sets; texts de-duplicated. */
    static Map<String, List<String>> sets(Path data) throws Exception {
        Map<String, LinkedHashSet<String>> sets = new LinkedHashMap<>();
        for (String name : List.of(TOXIC, NON_TOXIC, CHATGPT, XSTEST, HH)) {
            sets.put(name, new LinkedHashSet<>());
        }
        for (JsonObject o : rows(data.resolve("toxicity/dev.jsonl"))) {
            sets.get("toxic".equals(o.get("label").getAsString()) ? TOXIC : NON_TOXIC).add(o.get("text").getAsString());
        }
        for (String split : List.of("train", "dev")) {
            for (JsonObject o : rows(data.resolve("refusal/" + split + ".jsonl"))) {
                JsonElement tone = o.get("tone");
                // the ChatGPT refusal data labels each answer's tone; the XSTest rows of dev have none
                sets.get(tone != null && !tone.isJsonNull() ? CHATGPT : XSTEST).add(o.get("prompt").getAsString());
            }
            for (JsonObject o : rows(data.resolve("preference/" + split + ".jsonl"))) {
                sets.get(HH).add(PreferencePair.lastHumanTurn(o.get("prompt").getAsString()));
            }
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        sets.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    static final String TOXIC = "toxicity/dev, toxic";
    static final String NON_TOXIC = "toxicity/dev, non-toxic";
    static final String CHATGPT = "prompts of the ChatGPT refusal data";
    static final String XSTEST = "XSTest prompts (refusal/dev)";
    static final String HH = "HH red-team dialogues, last human turn";

    /** The quantile tables and the threshold sweep, as Markdown. {@code scores} holds {@link #TOXIC} and {@link #NON_TOXIC}. */
    static String report(Map<String, double[]> scores, double threshold) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "toxicity threshold %.4f (the head's trained one)%n%n", threshold));
        b.append("| set | texts | median | 90th pct | 95th pct | 99th pct | flagged |\n|---|---:|---:|---:|---:|---:|---:|\n");
        scores.forEach((name, s) -> b.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.1f%% |%n", name, s.length,
                quantile(s, 0.5), quantile(s, 0.9), quantile(s, 0.95), quantile(s, 0.99), 100 * share(s, threshold))));
        b.append("\nthreshold sweep: dev figures, then the share of each chat set flagged\n\n");
        List<String> chat = scores.keySet().stream().filter(k -> !k.equals(TOXIC) && !k.equals(NON_TOXIC)).toList();
        b.append("| threshold | dev toxic precision | dev toxic recall | dev macro-F1 |");
        chat.forEach(c -> b.append(' ').append(c).append(" |"));
        b.append("\n|---:|---:|---:|---:|").append("---:|".repeat(chat.size())).append('\n');
        double[] thresholds = new double[SWEEP.length + 1];
        thresholds[0] = threshold;
        System.arraycopy(SWEEP, 0, thresholds, 1, SWEEP.length);
        for (int k = 0; k < thresholds.length; k++) {
            double t = thresholds[k];
            double[] m = devFigures(scores.get(TOXIC), scores.get(NON_TOXIC), t);
            String cell = String.format(Locale.ROOT, k == 0 ? "**%.4f** (trained)" : "%.4f", t);
            b.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.4f |", cell, m[0], m[1], m[2]));
            for (String c : chat) {
                b.append(String.format(Locale.ROOT, " %.1f%% |", 100 * share(scores.get(c), t)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** {toxic precision, toxic recall, macro-F1 over both classes} when a score of at least {@code t} is toxic. */
    static double[] devFigures(double[] toxic, double[] nonToxic, double t) {
        double[] p = new double[toxic.length + nonToxic.length];
        int[] y = new int[p.length];
        System.arraycopy(toxic, 0, p, 0, toxic.length);
        System.arraycopy(nonToxic, 0, p, toxic.length, nonToxic.length);
        Arrays.fill(y, 0, toxic.length, 1);
        Evaluation ev = Evaluation.of(List.of("non-toxic", "toxic"), p, y, t);
        ClassificationReport.Row pos = ev.report().classes().get(1);
        return new double[]{pos.precision(), pos.recall(), ev.macroF1()};
    }

    /** Share of {@code scores} at or above {@code t}. */
    static double share(double[] scores, double t) {
        if (scores.length == 0) {
            return Double.NaN;
        }
        return (double) Arrays.stream(scores).filter(s -> s >= t).count() / scores.length;
    }

    /** The nearest-rank quantile: the smallest score with at least {@code q} of the scores at or below it. */
    static double quantile(double[] scores, double q) {
        if (scores.length == 0) {
            return Double.NaN;
        }
        double[] s = scores.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    private static double[] score(ExecutorService pool, Guard guard, List<String> texts) throws Exception {
        List<Future<Double>> futures = new ArrayList<>(texts.size());
        for (String t : texts) {
            futures.add(pool.submit(() -> {
                ScanResult r = guard.scanPrompt(t).results().get(0);
                if (r.decision() == Decision.ERROR) {
                    throw new IllegalStateException("scan failed: " + r.errorMessage());
                }
                // a blank text is not scored (NaN): it is not flagged
                return Double.isNaN(r.score()) ? 0.0 : r.score();
            }));
        }
        double[] out = new double[texts.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = futures.get(i).get();
        }
        return out;
    }

    private static List<JsonObject> rows(Path file) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        return out;
    }
}
