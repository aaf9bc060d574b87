package dev.parapet.bench;

import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.MicroBatcher;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.scanners.HeadScanner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.parapet.bench.HarnessReport.f;

/**
 * Concurrent single-text calls to the default toxicity scanner, with and without micro-batching,
 * configurations interleaved round by round in one process so that other load on the machine falls
 * on all of them alike. For each configuration and thread count, {@code --seconds} of closed-loop
 * calls (each thread: scan one short text, repeat) give the throughput (calls/s) and the latency
 * percentiles of every call.
 *
 * <p>A configuration is {@code name:intraOpThreads:microBatch(on|off):lanes:maxWaitMicros:maxBatch}.
 * The default set compares the default runtime options without micro-batching against micro-batching
 * with one and two lanes, on one and two intra-op threads.
 *
 * <pre>
 * java -cp guard-bench/target/benchmarks.jar dev.parapet.bench.ConcurrencyHarness [--rounds 3] [--seconds 4]
 *      [--threads 1,4,16] [--configs off-i2:2:off:1:0:32,on-i2:2:on:1:2000:32,...]
 * </pre>
 */
public final class ConcurrencyHarness {
    static final String DEFAULT_CONFIGS = "off-i2:2:off:1:0:32,off-i1:1:off:1:0:32,on-i2-l1:2:on:1:2000:32,on-i1-l2:1:on:2:2000:32";

    private ConcurrencyHarness() {
    }

    /** {@code options} are extra {@link BenchOptions} settings after an {@code @}, e.g. {@code off-i1:1:off:1:0:32@maxPaddingFraction=inf}. */
    record Config(String name, int intra, boolean micro, int lanes, int maxWaitMicros, int maxBatch, String options) {
        static Config parse(String s) {
            String extra = s.contains("@") ? s.substring(s.indexOf('@') + 1) : "";
            String[] p = (s.contains("@") ? s.substring(0, s.indexOf('@')) : s).split(":");
            return new Config(p[0], Integer.parseInt(p[1]), p[2].equals("on"), Integer.parseInt(p[3]), Integer.parseInt(p[4]),
                    Integer.parseInt(p[5]), extra);
        }

        String modelKey() {
            return intra + "@" + options;
        }

        RuntimeOptions runtimeOptions() {
            return BenchOptions.parse("intraOpThreads=" + intra + (options.isEmpty() ? "" : ";" + options));
        }
    }

    /** What one (configuration, thread count) slot measured. */
    record Slot(double callsPerSecond, long[] sortedNanos, double cpuMsPerCall) {
    }

    private static final AtomicInteger NEXT_TEXT = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        int rounds = HarnessReport.intArg(args, "rounds", 3);
        double seconds = Double.parseDouble(HarnessReport.arg(args, "seconds", "4"));
        List<Integer> threadCounts = HarnessReport.listArg(args, "threads", "1,4,16").stream().map(Integer::parseInt).toList();
        List<Config> configs = HarnessReport.listArg(args, "configs", DEFAULT_CONFIGS).stream().map(Config::parse).toList();
        HarnessReport.header("ConcurrencyHarness: " + rounds + " rounds of " + seconds + " s per slot, threads " + threadCounts
                + ", configs " + configs);

        Map<String, DefaultModels> modelsByIntra = new HashMap<>();
        Map<String, HeadScanner> scannersByIntra = new HashMap<>();
        Map<String, MicroBatcher<ScanInput, ScanResult>> batchers = new HashMap<>();
        for (Config c : configs) {
            HeadScanner scanner = scannersByIntra.computeIfAbsent(c.modelKey(), key -> {
                DefaultModels m = DefaultModels.load(c.runtimeOptions(), DefaultModels.DEFAULT_WINDOW_TOKENS);
                System.out.println("# " + c.name() + ": " + c.runtimeOptions());
                modelsByIntra.put(key, m);
                return m.toxicityScanner().build();
            });
            if (c.micro()) {
                batchers.put(c.name(), MicroBatcher.<ScanInput, ScanResult>builder(scanner::scanAll).name(c.name())
                        .maxWait(Duration.ofNanos(c.maxWaitMicros() * 1000L)).maxBatch(c.maxBatch()).lanes(c.lanes()).build());
            }
        }
        // warm-up of every configuration at the largest thread count
        int most = threadCounts.stream().max(Integer::compare).orElse(1);
        for (Config c : configs) {
            slot(c, scannersByIntra.get(c.modelKey()), batchers.get(c.name()), most, 1.0);
        }

        Map<String, List<Slot>> results = new LinkedHashMap<>();
        System.out.println("round,config,threads,calls_per_s,p50_ms,p99_ms,cpu_ms_per_call,load1");
        List<String> keys = new ArrayList<>();
        for (int t : threadCounts) {
            for (Config c : configs) {
                keys.add(c.name() + "|" + t);
                results.put(c.name() + "|" + t, new ArrayList<>());
            }
        }
        for (int r = 0; r < rounds; r++) {
            List<String> order = new ArrayList<>(keys);
            java.util.Collections.rotate(order, -r * configs.size() / Math.max(1, rounds));
            if (r % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (String key : order) {
                String[] k = key.split("\\|");
                Config c = configs.stream().filter(x -> x.name().equals(k[0])).findFirst().orElseThrow();
                int threads = Integer.parseInt(k[1]);
                Slot s = slot(c, scannersByIntra.get(c.modelKey()), batchers.get(c.name()), threads, seconds);
                results.get(key).add(s);
                System.out.println(f("%d,%s,%d,%.1f,%.2f,%.2f,%.2f,%.2f", r, c.name(), threads, s.callsPerSecond(),
                        HarnessReport.quantileMs(s.sortedNanos(), 0.50), HarnessReport.quantileMs(s.sortedNanos(), 0.99),
                        s.cpuMsPerCall(), HarnessReport.loadAverage()));
            }
        }
        System.out.println();
        System.out.println("## calls/s median [min, max] over rounds; p50 / p99 latency in ms (median over rounds)");
        for (String key : keys) {
            List<Slot> slots = results.get(key);
            List<Double> rates = slots.stream().map(Slot::callsPerSecond).toList();
            List<Double> p50 = slots.stream().map(s -> HarnessReport.quantileMs(s.sortedNanos(), 0.5)).toList();
            List<Double> p99 = slots.stream().map(s -> HarnessReport.quantileMs(s.sortedNanos(), 0.99)).toList();
            List<Double> cpu = slots.stream().map(Slot::cpuMsPerCall).toList();
            System.out.println(f("%-12s threads %2s: %7.1f calls/s [%.1f, %.1f]  p50 %7.2f ms  p99 %7.2f ms  cpu %.2f ms/call", key.split("\\|")[0],
                    key.split("\\|")[1], HarnessReport.median(rates), HarnessReport.min(rates), HarnessReport.max(rates),
                    HarnessReport.median(p50), HarnessReport.median(p99), HarnessReport.median(cpu)));
        }
        System.out.println();
        for (int t : threadCounts) {
            for (Config on : configs) {
                if (!on.micro()) {
                    continue;
                }
                for (Config off : configs) {
                    if (off.micro()) {
                        continue;
                    }
                    List<Double> ratios = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        ratios.add(results.get(on.name() + "|" + t).get(r).callsPerSecond() / results.get(off.name() + "|" + t).get(r).callsPerSecond());
                    }
                    System.out.println(f("ratio %s / %s at %d threads: median %.2f [%.2f, %.2f]", on.name(), off.name(), t,
                            HarnessReport.median(ratios), HarnessReport.min(ratios), HarnessReport.max(ratios)));
                }
            }
        }
        for (MicroBatcher<ScanInput, ScanResult> b : batchers.values()) {
            MicroBatcher.Stats s = b.stats();
            System.out.println(f("# %s: %d calls in %d batches, mean batch %.1f, largest %d, %d ran at once", b.name(), s.calls(),
                    s.batches(), s.meanBatchSize(), s.largestBatch(), s.immediateBatches()));
            b.close();
        }
        System.out.println(f("# load average %.2f at end", HarnessReport.loadAverage()));
        scannersByIntra.values().forEach(HeadScanner::close);
        modelsByIntra.values().forEach(DefaultModels::close);
    }

    /** {@code threads} threads calling for {@code seconds}; every call's latency recorded. */
    static Slot slot(Config c, HeadScanner scanner, MicroBatcher<ScanInput, ScanResult> batcher, int threads, double seconds)
            throws InterruptedException {
        long[][] latencies = new long[threads][];
        int[] counts = new int[threads];
        CountDownLatch start = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                long[] mine = new long[1024];
                int n = 0;
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long end = window[1];
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= end) {
                        break;
                    }
                    ScanInput input = ScanInput.prompt(BenchTexts.prompt(NEXT_TEXT.getAndIncrement()));
                    ScanResult r = c.micro() ? batcher.call(input) : scanner.scan(input);
                    long t1 = System.nanoTime();
                    if (r.decision() == Decision.ERROR) {
                        throw new IllegalStateException("scan failed: " + r.errorMessage());
                    }
                    if (n == mine.length) {
                        mine = Arrays.copyOf(mine, n * 2);
                    }
                    mine[n++] = t1 - t0;
                }
                latencies[id] = Arrays.copyOf(mine, n);
                counts[id] = n;
            }, "caller-" + t);
            workers.add(w);
            w.start();
        }
        long cpu0 = HarnessReport.processCpuNanos();
        window[0] = System.nanoTime();
        window[1] = window[0] + (long) (seconds * 1e9);
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        // calls that started before the end count; the slot lasts until the last of them returned
        double elapsed = (System.nanoTime() - window[0]) / 1e9;
        long cpu = HarnessReport.processCpuNanos() - cpu0;
        int total = 0;
        for (int n : counts) {
            total += n;
        }
        long[] all = new long[total];
        int at = 0;
        for (long[] l : latencies) {
            System.arraycopy(l, 0, all, at, l.length);
            at += l.length;
        }
        Arrays.sort(all);
        return new Slot(total / elapsed, all, cpu / 1e6 / Math.max(1, total));
    }
}
