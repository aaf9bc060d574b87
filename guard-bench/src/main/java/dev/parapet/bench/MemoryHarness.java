package dev.parapet.bench;

import dev.parapet.core.Guard;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.parapet.bench.HarnessReport.f;

/**
 * Resident memory of a process that uses Parapet's defaults: {@code VmRSS} from /proc/self/status
 * (heap, metaspace, code, ONNX Runtime's arenas, the tokenizer and the model bytes alike) before
 * loading, after {@code DefaultModels.guard()}, after a warm-up, and every {@code --every} scans of
 * a long run of {@code Guard.scan(prompt, output)} with the three default model scanners on
 * distinct texts ({@link BenchTexts#prompt}, {@link BenchTexts#answer}). At the end: a least-squares
 * slope of RSS over the second half of the run (MiB per 10,000 scans) and the range of that half.
 *
 * <pre>
 * java [-Xmx...] -cp guard-bench/target/benchmarks.jar dev.parapet.bench.MemoryHarness [--scans 100000] [--every 2000] [--threads 2]
 *      [--max-seconds N]
 * </pre>
 * Run it without {@code -Xmx} to see what the JVM's own heap sizing adds, and with a small heap
 * (e.g. {@code -Xmx128m}) to see Parapet's native share on its own. {@code --max-seconds} ends the
 * run early; the report says how many scans it made.
 */
public final class MemoryHarness {
    private MemoryHarness() {
    }

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        int scans = HarnessReport.intArg(args, "scans", 100_000);
        int every = HarnessReport.intArg(args, "every", 2_000);
        int threads = HarnessReport.intArg(args, "threads", 2);
        long maxSeconds = HarnessReport.intArg(args, "max-seconds", Integer.MAX_VALUE);
        HarnessReport.header("MemoryHarness: " + scans + " Guard.scan calls from " + threads + " threads, RSS every " + every);
        System.out.println(f("# max heap %.0f MiB", Runtime.getRuntime().maxMemory() / (1024.0 * 1024.0)));
        print("before loading");
        Guard guard = DefaultModels.guard();
        print("DefaultModels.guard() built");
        for (int i = 0; i < 64; i++) {
            check(guard.scan(BenchTexts.prompt(1_000_000 + i), BenchTexts.answer(1_000_000 + i)));
        }
        print("after 64 warm-up scans");

        AtomicInteger next = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        List<double[]> samples = new ArrayList<>();
        long start = System.nanoTime();
        long stopAt = maxSeconds == Integer.MAX_VALUE ? Long.MAX_VALUE : start + maxSeconds * 1_000_000_000L;
        Object sampleLock = new Object();
        int[] sampled = {0};
        List<Thread> workers = new ArrayList<>();
        System.out.println("scans,seconds,rss_mib,heap_used_mib,heap_committed_mib,direct_mib,load1");
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                while (true) {
                    if (System.nanoTime() >= stopAt) {
                        return;
                    }
                    int i = next.getAndIncrement();
                    if (i >= scans) {
                        return;
                    }
                    check(guard.scan(BenchTexts.prompt(i), BenchTexts.answer(i)));
                    int done = completed.incrementAndGet();
                    if (done % every == 0) {
                        synchronized (sampleLock) {
                            if (done > sampled[0]) {
                                sampled[0] = done;
                                double[] s = {done, (System.nanoTime() - start) / 1e9, HarnessReport.rssMiB(), HarnessReport.heapUsedMiB(),
                                        HarnessReport.heapCommittedMiB(), HarnessReport.directMiB()};
                                samples.add(s);
                                System.out.println(f("%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.2f", done, s[1], s[2], s[3], s[4], s[5],
                                        HarnessReport.loadAverage()));
                            }
                        }
                    }
                }
            }, "scanner-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int done = completed.get();
        print(f("after %d scans (%.0f s, %.1f scans/s)", done, seconds, done / seconds));
        System.gc();
        Thread.sleep(500);
        print("after System.gc()");

        List<double[]> half = samples.subList(samples.size() / 2, samples.size());
        if (half.size() >= 3) {
            double mx = 0;
            double my = 0;
            for (double[] s : half) {
                mx += s[0];
                my += s[2];
            }
            mx /= half.size();
            my /= half.size();
            double sxy = 0;
            double sxx = 0;
            double lo = Double.MAX_VALUE;
            double hi = -Double.MAX_VALUE;
            for (double[] s : half) {
                sxy += (s[0] - mx) * (s[2] - my);
                sxx += (s[0] - mx) * (s[0] - mx);
                lo = Math.min(lo, s[2]);
                hi = Math.max(hi, s[2]);
            }
            System.out.println(f("# second half (%d samples from %.0f to %.0f scans): RSS slope %.3f MiB per 10,000 scans, range %.1f to %.1f MiB",
                    half.size(), half.get(0)[0], half.get(half.size() - 1)[0], sxy / sxx * 10_000, lo, hi));
        }
        System.out.println(f("# peak RSS (VmHWM) %.1f MiB; load average %.2f at end", HarnessReport.peakRssMiB(), HarnessReport.loadAverage()));
        guard.close();
    }

    private static void check(Verdict v) {
        for (var r : v.results()) {
            if (r.decision() == dev.parapet.core.Decision.ERROR) {
                throw new IllegalStateException("scanner " + r.scanner() + " failed: " + r.errorMessage());
            }
        }
    }

    private static void print(String when) {
        System.out.println(f("# %-40s RSS %7.1f MiB  heap used %6.1f / committed %6.1f MiB  direct %5.1f MiB", when,
                HarnessReport.rssMiB(), HarnessReport.heapUsedMiB(), HarnessReport.heapCommittedMiB(), HarnessReport.directMiB()));
    }
}
