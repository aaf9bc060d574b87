package dev.parapet.reliability;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.reliability.Workload.Call;
import dev.parapet.reliability.Workload.Kind;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs N scans through one default guard and samples the process's resident memory (VmRSS) and the
 * heap after a collection every K scans; prints the samples, an ASCII plot and the linear trend
 * of RSS in MiB per 100,000 scans, and writes a CSV. Not part of the test suite.
 *
 * <pre>
 * mvn -o -q install -DskipTests -pl guard-reliability -am
 * mvn -o -q -pl guard-reliability dependency:build-classpath -Dmdep.outputFile=target/cp.txt -DincludeScope=runtime
 * java -Xmx512m -DOPT_OUT_TRACKING=true -DRUST_FLAVOR=cpu -Dai.djl.offline=true \
 *     -cp guard-reliability/target/classes:$(cat guard-reliability/target/cp.txt) dev.parapet.reliability.Soak --scans 200000
 * </pre>
 * Its own JVM, not exec:java, so the RSS is the guard's and not Maven's. Options: {@code --scans N}
 * (200,000), {@code --every K} (1,000), {@code --threads T} (2), {@code --guard defaults|hardened}
 * (defaults), {@code --csv PATH} (guard-reliability/target/soak.csv); {@code --summarise CSV} prints
 * the trend and plot of an earlier run's CSV and exits.
 *
 * <p>The workload cycles through 4,096 distinct calls (prompt, output and whole-exchange scans; one
 * in 16 a few thousand chars long) plus every hostile case but the 1 MB one once per 500 scans, so
 * the encoder's 256-entry memo keeps missing and every scan runs the model.
 */
public final class Soak {
    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        long scans = 200_000;
        int every = 1_000;
        int threads = 2;
        String which = "defaults";
        Path csv = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scans" -> scans = Long.parseLong(args[++i]);
                case "--every" -> every = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--guard" -> which = args[++i];
                case "--csv" -> csv = Path.of(args[++i]);
                case "--summarise" -> {
                    summariseCsv(Path.of(args[++i]));
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --scans N --every K --threads T --guard defaults|hardened --csv PATH, or --summarise CSV");
            }
        }
        csv = csv != null ? csv : Datasets.moduleTarget().resolve("soak.csv");
        List<Call> calls = Workload.calls(4_096, EnumSet.allOf(Kind.class), 16, 42);
        List<String> hostile = new ArrayList<>();
        for (HostileCorpus.Case c : HostileCorpus.cases()) {
            if (!c.heavy()) {
                hostile.add(c.text().get());
            }
        }
        System.out.printf(Locale.ROOT, "soak: %,d scans, a sample every %,d, %d threads, guard %s, max heap %d MiB%n",
                scans, every, threads, which, Runtime.getRuntime().maxMemory() >> 20);

        List<long[]> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong next = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        try (DefaultModels models = DefaultModels.load();
             Guard guard = "hardened".equals(which) ? Guards.hardened(models).build() : Guards.defaults(models).build()) {
            samples.add(sample(0, start));
            System.out.printf(Locale.ROOT, "%10s %9s %9s %9s%n", "scans", "seconds", "rss_mib", "heap_mib");
            print(samples.get(0));
            long total = scans;
            int k = every;
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread w = new Thread(() -> {
                    for (long i; (i = next.getAndIncrement()) < total; ) {
                        Verdict v;
                        if (i % 500 == 499) {
                            String h = hostile.get((int) (i / 500 % hostile.size()));
                            v = guard.scan(h, h);
                        } else {
                            v = calls.get((int) (i % calls.size())).run(guard);
                        }
                        for (ScanResult r : v.results()) {
                            if (r.decision() == Decision.ERROR) {
                                errors.incrementAndGet();
                            }
                        }
                        if ((i + 1) % k == 0) {
                            long[] s = sample(i + 1, start);
                            samples.add(s);
                            print(s);
                        }
                    }
                }, "soak-" + t);
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) {
                w.join();
            }
        }
        samples.sort((a, b) -> Long.compare(a[0], b[0]));
        Files.createDirectories(csv.toAbsolutePath().getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
            w.println("scans,seconds,rss_kib,heap_used_after_gc_bytes");
            for (long[] s : samples) {
                w.printf(Locale.ROOT, "%d,%.1f,%d,%d%n", s[0], s[1] / 1e9, s[2], s[3]);
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%n%,d scans in %.0f s (%.1f scans/s), %d ERROR results%n", scans, elapsed, scans / elapsed, errors.get());
        summarise(samples);
        System.out.println(plot(samples, 16, 60));
        System.out.println("wrote " + csv);
    }

    private static long[] sample(long scans, long start) {
        long heap = Memory.heapAfterGc();
        return new long[]{scans, System.nanoTime() - start, Memory.rssKb(), heap};
    }

    private static void print(long[] s) {
        System.out.printf(Locale.ROOT, "%10d %9.0f %9.1f %9.1f%n", s[0], s[1] / 1e9, s[2] / 1024.0, s[3] / 1048576.0);
    }

    /** Trend of RSS and heap, per 100,000 scans, over the samples after the first 10%, the second half and the last third. */
    static void summarise(List<long[]> samples) {
        for (int from : new int[]{Math.max(1, samples.size() / 10), samples.size() / 2, samples.size() * 2 / 3}) {
            int n = samples.size() - from;
            if (n < 3) {
                System.out.println("too few samples for a trend");
                return;
            }
            double[] x = new double[n];
            double[] rss = new double[n];
            double[] heap = new double[n];
            for (int i = 0; i < n; i++) {
                long[] s = samples.get(from + i);
                x[i] = s[0];
                rss[i] = s[2] / 1024.0;
                heap[i] = s[3] / 1048576.0;
            }
            System.out.printf(Locale.ROOT, "from %,.0f scans: RSS %.1f -> %.1f MiB (min %.1f, max %.1f), slope %+.2f MiB per 100k scans; "
                            + "heap after GC %.1f -> %.1f MiB, slope %+.2f MiB per 100k scans%n",
                    x[0], rss[0], rss[n - 1], java.util.Arrays.stream(rss).min().orElse(0), java.util.Arrays.stream(rss).max().orElse(0),
                    Memory.slope(x, rss) * 100_000, heap[0], heap[n - 1], Memory.slope(x, heap) * 100_000);
        }
    }

    /** Prints the summary and plot of a CSV an earlier run wrote. */
    static void summariseCsv(Path csv) throws java.io.IOException {
        List<long[]> samples = new ArrayList<>();
        for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("scans")) {
                continue;
            }
            String[] f = line.split(",");
            samples.add(new long[]{Long.parseLong(f[0]), (long) (Double.parseDouble(f[1]) * 1e9), Long.parseLong(f[2]), Long.parseLong(f[3])});
        }
        summarise(samples);
        System.out.println(plot(samples, 16, 60));
    }

    /** RSS against scans as rows of text, {@code height} rows by at most {@code width} columns. */
    static String plot(List<long[]> samples, int height, int width) {
        int n = samples.size();
        int cols = Math.min(width, n);
        double[] v = new double[cols];
        for (int c = 0; c < cols; c++) {
            v[c] = samples.get((int) ((long) c * (n - 1) / Math.max(1, cols - 1))).clone()[2] / 1024.0;
        }
        double lo = java.util.Arrays.stream(v).min().orElse(0);
        double hi = java.util.Arrays.stream(v).max().orElse(1);
        if (hi - lo < 1) {
            hi = lo + 1;
        }
        StringBuilder sb = new StringBuilder("RSS, MiB\n");
        for (int r = height - 1; r >= 0; r--) {
            double level = lo + (hi - lo) * r / (height - 1);
            sb.append(String.format(Locale.ROOT, "%8.1f |", level));
            for (int c = 0; c < cols; c++) {
                int row = (int) Math.round((v[c] - lo) / (hi - lo) * (height - 1));
                sb.append(row == r ? '*' : ' ');
            }
            sb.append('\n');
        }
        sb.append("         +").append("-".repeat(cols)).append('\n');
        sb.append(String.format(Locale.ROOT, "          0 scans%" + Math.max(1, cols - 8) + "s%n", String.format(Locale.ROOT, "%,d", samples.get(n - 1)[0])));
        return sb.toString();
    }
}
