package dev.parapet.reliability;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.models.DefaultModels;
import dev.parapet.scanners.HeadScanner;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Toxicity recall on the toxic rows of {@code toxicity/dev.jsonl}, clean and under each
 * {@link Obfuscation}, with and without a {@link TextNormalizer} in front of the default toxicity
 * head; and the false-positive rate on the non-toxic rows the same way. Every text is scanned alone
 * through a {@link Guard} (a batch of one, so the scores are the reference ones and no row's score
 * depends on another's).
 *
 * <pre>
 * mvn -o -q install -DskipTests -pl guard-reliability -am
 * mvn -o -q -pl guard-reliability exec:java -Dexec.mainClass=dev.parapet.reliability.EvasionBench \
 *     -Dexec.args="--data ../shared/datasets/toxicity/dev.jsonl --threads 2"
 * </pre>
 * Options: {@code --data PATH} (default: ../shared/datasets/toxicity/dev.jsonl, looked up from
 * the working directory and its parent), {@code --threads N} (2), {@code --limit N} rows per class
 * (all), {@code --seed S} (9), {@code --csv PATH} (guard-reliability/target/evasion.csv),
 * {@code --only NAME,NAME} (clean plus these {@link Obfuscation}s; default all).
 */
public final class EvasionBench {
    private EvasionBench() {
    }

    record Row(String text, boolean toxic) {
    }

    public static void main(String[] args) throws Exception {
        Path data = null;
        int threads = 2;
        int limit = Integer.MAX_VALUE;
        long seed = 9;
        Path csv = null;
        java.util.EnumSet<Obfuscation> only = java.util.EnumSet.allOf(Obfuscation.class);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--limit" -> limit = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--csv" -> csv = Path.of(args[++i]);
                case "--only" -> {
                    only = java.util.EnumSet.of(Obfuscation.CLEAN);
                    for (String name : args[++i].split(",")) {
                        only.add(Obfuscation.valueOf(name.trim().toUpperCase(Locale.ROOT)));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --data PATH --threads N --limit N --seed S --csv PATH --only NAME,NAME");
            }
        }
        data = data != null ? data : Datasets.find("toxicity/dev.jsonl");
        csv = csv != null ? csv : Datasets.moduleTarget().resolve("evasion.csv");
        List<Row> toxic = new ArrayList<>();
        List<Row> benign = new ArrayList<>();
        for (String line : Files.readAllLines(data, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            Row r = new Row(o.get("text").getAsString(), "toxic".equals(o.get("label").getAsString()));
            List<Row> into = r.toxic() ? toxic : benign;
            if (into.size() < limit) {
                into.add(r);
            }
        }
        System.out.printf(Locale.ROOT, "data %s: %d toxic, %d non-toxic rows; seed %d; %d threads%n", data, toxic.size(), benign.size(), seed, threads);

        long start = System.nanoTime();
        try (DefaultModels models = DefaultModels.load()) {
            HeadScanner raw = models.toxicityScanner().build();
            Scanner normalized = models.normalizer().wrap(models.toxicityScanner().build());
            double threshold = raw.threshold();
            try (Guard plain = Guard.builder().inputScanner(raw).build();
                 Guard folded = Guard.builder().inputScanner(normalized).build()) {
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    List<String[]> lines = new ArrayList<>();
                    lines.add(new String[]{"obfuscation", "recall_raw", "recall_normalized", "fpr_raw", "fpr_normalized", "toxic_rows", "non_toxic_rows"});
                    double cleanRecall = Double.NaN;
                    double cleanFpr = Double.NaN;
                    StringBuilder table = new StringBuilder();
                    table.append("| obfuscation | recall, model only | recall, normalised | drop vs clean (model only) | FPR, model only | FPR, normalised |\n");
                    table.append("|---|---:|---:|---:|---:|---:|\n");
                    for (Obfuscation ob : only) {
                        double[] t = rates(pool, plain, folded, toxic, ob, seed, threshold);
                        double[] b = rates(pool, plain, folded, benign, ob, seed + 1_000_003, threshold);
                        if (ob == Obfuscation.CLEAN) {
                            cleanRecall = t[0];
                            cleanFpr = b[0];
                        }
                        lines.add(new String[]{ob.name(), fmt(t[0]), fmt(t[1]), fmt(b[0]), fmt(b[1]), Integer.toString(toxic.size()),
                                Integer.toString(benign.size())});
                        table.append(String.format(Locale.ROOT, "| %s | %.1f%% | %.1f%% | %+.1f / **%+.1f** | %.1f%% | %.1f%% |%n",
                                ob.label(), 100 * t[0], 100 * t[1], 100 * (t[0] - cleanRecall), 100 * (t[1] - cleanRecall),
                                100 * b[0], 100 * b[1]));
                        System.out.printf(Locale.ROOT, "%-40s recall %.4f -> %.4f   fpr %.4f -> %.4f   (%.0f s)%n", ob.label(),
                                t[0], t[1], b[0], b[1], (System.nanoTime() - start) / 1e9);
                    }
                    System.out.println();
                    System.out.printf(Locale.ROOT, "threshold %.4f (the toxicity head's trained one); clean recall %.4f, clean FPR %.4f%n%n",
                            threshold, cleanRecall, cleanFpr);
                    System.out.print(table);
                    Files.createDirectories(csv.toAbsolutePath().getParent());
                    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
                        for (String[] l : lines) {
                            w.println(String.join(",", l));
                        }
                    }
                    System.out.printf(Locale.ROOT, "%nwrote %s; %.0f s in all%n", csv, (System.nanoTime() - start) / 1e9);
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    /** {flag rate with the plain guard, flag rate with the normalising guard} over {@code rows} obfuscated by {@code ob}. */
    private static double[] rates(ExecutorService pool, Guard plain, Guard folded, List<Row> rows, Obfuscation ob, long seed,
                                  double threshold) throws Exception {
        List<Future<int[]>> futures = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String text = ob.apply(rows.get(i).text(), seed + i);
            futures.add(pool.submit(() -> new int[]{flagged(plain, text), flagged(folded, text)}));
        }
        int a = 0;
        int b = 0;
        for (Future<int[]> f : futures) {
            int[] r = f.get();
            a += r[0];
            b += r[1];
        }
        return new double[]{(double) a / rows.size(), (double) b / rows.size()};
    }

    private static int flagged(Guard guard, String text) {
        ScanResult r = guard.scanPrompt(text).results().get(0);
        if (r.decision() == dev.parapet.core.Decision.ERROR) {
            throw new IllegalStateException("scan failed: " + r.errorMessage());
        }
        return r.flagged() ? 1 : 0;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

}
