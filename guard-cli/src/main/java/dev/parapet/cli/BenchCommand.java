package dev.parapet.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.parapet.core.Exchange;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.onnx.RuntimeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code parapet bench}: throughput and latency percentiles of the configured scanners, after a warm-up. */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = Parapet.Version.class,
        description = {"Measure throughput (exchanges/s and texts/s) and latency percentiles of the default models or a guard "
                + "configuration, on exchanges from --input (fields prompt, output) or generated ones, after a warm-up. "
                + "States the ONNX Runtime provider, the intra-op threads and the client threads.",
                "--batch-size 1 times guard.scan per exchange (request latency); a larger batch times guard.scanAll "
                        + "(batched throughput, latency per batch)."},
        footerHeading = "%nExamples:%n",
        footer = {"  parapet bench",
                "  parapet bench --generate 500 --words 60 --batch-size 32 --threads 2",
                "  parapet bench --config guard.json --input exchanges.jsonl --json"})
final class BenchCommand implements Callable<Integer>, Parapet.HasCommonOptions {
    private static final String[] WORDS = ("the a of to and in is it you that he was for on are with as I his they be at one have this "
            + "from or had by word but what some we can out other were all there when up use your how said an each she which do their "
            + "time if will way about many then them write would like so these her long make thing see him two has look more day could "
            + "go come did number sound no most people my over know water than call first who may down side been now find any new work "
            + "part take get place made live where after back little only round man year came show every good me give our under name "
            + "very through just form sentence great think say help low line differ turn cause much mean before move right boy old too "
            + "same tell does set three want air well also play small end put home read hand port large spell add even land here must "
            + "big high such follow act why ask men change went light kind off need house picture try us again animal point mother "
            + "world near build self earth father").split(" ");

    @ParentCommand
    Parapet root;

    @Mixin
    CommonOptions common;

    @Mixin
    ProviderOptions providerOptions;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Guard configuration (JSON); default: the default models.")
    Path config;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Exchanges (fields prompt and output; .jsonl, .csv or .tsv); default: generated.")
    Path input;

    @Option(names = "--generate", paramLabel = "N", defaultValue = "200", description = "Generated exchanges without --input (default: ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = "--words", paramLabel = "N", defaultValue = "40", description = "Words per generated prompt and output (default: ${DEFAULT-VALUE}).")
    int words;

    @Option(names = "--warmup", paramLabel = "CALLS", defaultValue = "10", description = "Untimed calls first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1", description = "Exchanges per guard call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "1", description = "Client threads calling the guard at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--threads", paramLabel = "N",
            description = "ONNX Runtime intra-op threads of the default models (default: the available processors, at most 4).")
    Integer threads;

    @Option(names = "--prompt-only", description = "Time the prompt stage only.")
    boolean promptOnly;

    @Option(names = "--json", description = "Print the figures as one JSON object.")
    boolean json;

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        if (generate < 1 || words < 1 || warmup < 0 || batchSize < 1 || concurrency < 1 || threads != null && threads < 1) {
            throw new CliException("--generate, --words, --batch-size, --concurrency and --threads must be at least 1, --warmup at least 0");
        }
        if (threads != null && config != null) {
            throw new CliException("--threads sets the default models' threads; a configuration file sets its own in its runtime block");
        }
        providerOptions.rejectWithConfig(config);
        List<Exchange> exchanges = new ArrayList<>();
        String source;
        if (input != null) {
            for (Records.Row r : Records.read(input)) {
                String p = r.get("prompt") != null ? r.get("prompt") : r.require("text");
                exchanges.add(new Exchange(p, promptOnly ? null : r.get("output")));
            }
            if (exchanges.isEmpty()) {
                throw new CliException("input file " + input + " has no rows");
            }
            source = input.toString();
        } else {
            Random rnd = new Random(42);
            for (int i = 0; i < generate; i++) {
                exchanges.add(new Exchange(text(rnd, words), promptOnly ? null : text(rnd, words)));
            }
            source = "generated, " + words + " words per text";
        }
        int intraOp = threads != null ? threads : RuntimeOptions.DEFAULT_INTRA_OP_THREADS;
        RuntimeOptions options = config == null ? providerOptions.apply(RuntimeOptions.builder().intraOpThreads(intraOp)).build() : null;
        List<List<Exchange>> calls = new ArrayList<>();
        for (int i = 0; i < exchanges.size(); i += batchSize) {
            calls.add(exchanges.subList(i, Math.min(exchanges.size(), i + batchSize)));
        }
        long texts = exchanges.stream().mapToLong(e -> e.output() == null ? 1 : 2).sum();
        try (Guard guard = Guards.load(config, options)) {
            for (int i = 0; i < warmup; i++) {
                scan(guard, calls.get(i % calls.size()));
            }
            long[] latencies = new long[calls.size()];
            List<List<Verdict>> verdicts = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                verdicts.add(null);
            }
            AtomicInteger next = new AtomicInteger();
            long start;
            long wall;
            try (Progress p = Progress.start(root.err, "bench", exchanges.size(), "exchanges", !common.noProgress)) {
                ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
                    Thread t = new Thread(r, "parapet-bench");
                    t.setDaemon(true);
                    return t;
                });
                try {
                    start = System.nanoTime();
                    List<Future<?>> fs = new ArrayList<>();
                    for (int c = 0; c < concurrency; c++) {
                        fs.add(pool.submit(() -> {
                            for (int k; (k = next.getAndIncrement()) < calls.size(); ) {
                                long t0 = System.nanoTime();
                                List<Verdict> v = scan(guard, calls.get(k));
                                latencies[k] = System.nanoTime() - t0;
                                verdicts.set(k, v);
                                p.step(calls.get(k).size());
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : fs) {
                        f.get();
                    }
                    wall = System.nanoTime() - start;
                } finally {
                    pool.shutdownNow();
                }
            }
            report(guard, source, exchanges.size(), texts, calls.size(), latencies, verdicts, wall, options == null ? null : intraOp);
        }
        return ExitCodes.OK;
    }

    private List<Verdict> scan(Guard guard, List<Exchange> batch) {
        if (batch.size() == 1) {
            Exchange e = batch.get(0);
            return List.of(e.output() == null ? guard.scanPrompt(e.prompt()) : guard.scan(e.prompt(), e.output()));
        }
        return guard.scanAll(batch);
    }

    private static String text(Random rnd, int n) {
        StringBuilder sb = new StringBuilder();
        boolean capital = true;
        for (int i = 0; i < n; i++) {
            String w = WORDS[rnd.nextInt(WORDS.length)];
            sb.append(capital ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
            capital = false;
            if (i == n - 1 || rnd.nextInt(12) == 0) {
                sb.append('.');
                capital = true;
            }
            if (i < n - 1) {
                sb.append(' ');
            }
        }
        return sb.toString();
    }

    private void report(Guard guard, String source, int exchanges, long texts, int callCount, long[] latencies, List<List<Verdict>> verdicts,
                        long wallNanos, Integer intraOp) {
        double seconds = wallNanos / 1e9;
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(latencies).average().orElse(0) / 1e6;
        Map<String, double[]> perScanner = new LinkedHashMap<>();
        TreeSet<String> providers = new TreeSet<>();
        int blocked = 0;
        for (List<Verdict> vs : verdicts) {
            for (Verdict v : vs) {
                blocked += v.blocked() ? 1 : 0;
                for (ScanResult r : v.results()) {
                    double[] acc = perScanner.computeIfAbsent(ScanCommand.stage(r.stage()) + ":" + r.scanner(), k -> new double[2]);
                    acc[0] += r.latency().toNanos() / 1e6;
                    acc[1]++;
                    String provider = r.attributes().get("provider");
                    if (provider != null) {
                        providers.add(provider);
                    }
                }
            }
        }
        String provider = providers.isEmpty() ? "none (rule scanners only)" : String.join(", ", providers);
        String threadsText = intraOp != null ? Integer.toString(intraOp) : "library default (" + RuntimeOptions.DEFAULT_INTRA_OP_THREADS + ")";
        PrintStream out = root.out;
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("scanners", Guards.describe(guard));
            j.addProperty("source", source);
            j.addProperty("exchanges", exchanges);
            j.addProperty("texts", texts);
            j.addProperty("batch_size", batchSize);
            j.addProperty("calls", callCount);
            j.addProperty("warmup_calls", warmup);
            j.addProperty("client_threads", concurrency);
            j.addProperty("intra_op_threads", intraOp == null ? RuntimeOptions.DEFAULT_INTRA_OP_THREADS : intraOp);
            j.addProperty("available_processors", Runtime.getRuntime().availableProcessors());
            j.addProperty("provider", provider);
            j.add("seconds", Json.num(seconds));
            j.add("exchanges_per_second", Json.num(exchanges / seconds));
            j.add("texts_per_second", Json.num(texts / seconds));
            JsonObject lat = new JsonObject();
            lat.add("p50", Json.num(percentile(sorted, 50)));
            lat.add("p90", Json.num(percentile(sorted, 90)));
            lat.add("p95", Json.num(percentile(sorted, 95)));
            lat.add("p99", Json.num(percentile(sorted, 99)));
            lat.add("max", Json.num(sorted[sorted.length - 1] / 1e6));
            lat.add("mean", Json.num(mean));
            j.add("latency_ms", lat);
            JsonArray ps = new JsonArray();
            perScanner.forEach((k, acc) -> {
                JsonObject o = new JsonObject();
                o.addProperty("scanner", k);
                o.add("mean_ms", Json.num(acc[0] / acc[1]));
                ps.add(o);
            });
            j.add("per_scanner", ps);
            j.addProperty("blocked", blocked);
            out.println(Json.write(j));
            return;
        }
        out.printf(Locale.ROOT, "scanners  %s%n", Guards.describe(guard));
        out.printf(Locale.ROOT, "input     %s exchanges (%s texts), %s%n", Format.count(exchanges), Format.count(texts), source);
        out.printf(Locale.ROOT, "setup     provider %s, %s intra-op thread(s), %d client thread(s), batch %d, %d warm-up call(s), %d processors%n",
                provider, threadsText, concurrency, batchSize, warmup, Runtime.getRuntime().availableProcessors());
        out.println();
        out.printf(Locale.ROOT, "throughput  %.1f exchanges/s, %.1f texts/s (%s calls in %s)%n", exchanges / seconds, texts / seconds,
                Format.count(callCount), Format.duration(seconds));
        out.printf(Locale.ROOT, "latency     p50 %.1f ms, p90 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms, mean %.1f ms (per %s)%n",
                percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 95), percentile(sorted, 99),
                sorted[sorted.length - 1] / 1e6, mean, batchSize == 1 ? "exchange" : "call of " + batchSize + " exchanges");
        out.println();
        TextTable t = new TextTable("scanner", "mean ms per exchange");
        perScanner.forEach((k, acc) -> t.row(k, Format.fixed(acc[0] / acc[1], 2)));
        out.print(t.render());
        if (blocked > 0) {
            out.printf(Locale.ROOT, "%n(%d of %d exchanges were blocked; every scanner ran on each, the timing includes them)%n", blocked, exchanges);
        }
    }

    /** Nearest-rank percentile of sorted nanoseconds, in milliseconds. */
    static double percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }
}
