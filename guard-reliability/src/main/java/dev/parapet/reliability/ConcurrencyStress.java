package dev.parapet.reliability;

import dev.parapet.core.Guard;
import dev.parapet.models.DefaultModels;
import dev.parapet.reliability.Workload.Call;
import dev.parapet.reliability.Workload.Kind;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 9, item 3 at full size: T threads x N mixed calls against one guard, every verdict compared
 * bit for bit with the same call made sequentially on another guard. Prints the mismatches per
 * kind of call and exits 1 if there are any.
 *
 * <pre>
 * mvn -o -q -pl guard-reliability exec:java -Dexec.mainClass=dev.parapet.reliability.ConcurrencyStress \
 *     -Dexec.args="--threads 32 --calls 5000"
 * </pre>
 * Options: {@code --threads T} (32), {@code --calls N} per thread (5,000), {@code --distinct D}
 * (256), {@code --kinds PROMPT,OUTPUT,EXCHANGE} (all), {@code --long-every L} (8),
 * {@code --memo on|off} (on: {@code DefaultModels.guard()}; off: {@link Guards#withoutMemo}).
 */
public final class ConcurrencyStress {
    private ConcurrencyStress() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 32;
        int callsPerThread = 5_000;
        int distinct = 256;
        int longEvery = 8;
        boolean memo = true;
        EnumSet<Kind> kinds = EnumSet.allOf(Kind.class);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--calls" -> callsPerThread = Integer.parseInt(args[++i]);
                case "--distinct" -> distinct = Integer.parseInt(args[++i]);
                case "--long-every" -> longEvery = Integer.parseInt(args[++i]);
                case "--memo" -> memo = "on".equals(args[++i]);
                case "--kinds" -> {
                    kinds = EnumSet.noneOf(Kind.class);
                    for (String k : args[++i].split(",")) {
                        kinds.add(Kind.valueOf(k.trim().toUpperCase(Locale.ROOT)));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --threads T --calls N --distinct D --kinds K,K --long-every L --memo on|off");
            }
        }
        List<Call> calls = Workload.calls(distinct, kinds, longEvery, 7);
        System.out.printf(Locale.ROOT, "%d threads x %,d calls over %d distinct calls %s, memo %s%n", threads, callsPerThread, distinct, kinds,
                memo ? "on" : "off");
        try (DefaultModels models = DefaultModels.load()) {
            List<String> sequential = new ArrayList<>(calls.size());
            long t0 = System.nanoTime();
            try (Guard guard = memo ? Guards.defaults(models).build() : Guards.withoutMemo(models)) {
                for (Call c : calls) {
                    sequential.add(Workload.fingerprint(c.run(guard)));
                }
            }
            System.out.printf(Locale.ROOT, "sequential reference: %d calls in %.1f s%n", calls.size(), (System.nanoTime() - t0) / 1e9);

            Map<Kind, AtomicLong> mismatches = new EnumMap<>(Kind.class);
            Map<Kind, AtomicLong> made = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                mismatches.put(k, new AtomicLong());
                made.put(k, new AtomicLong());
            }
            AtomicLong exceptions = new AtomicLong();
            long t1 = System.nanoTime();
            try (Guard guard = memo ? Guards.defaults(models).build() : Guards.withoutMemo(models)) {
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                int perThread = callsPerThread;
                for (int t = 0; t < threads; t++) {
                    int offset = 7 * t;
                    Thread w = new Thread(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        for (int k = 0; k < perThread; k++) {
                            int idx = (offset + k) % calls.size();
                            Call c = calls.get(idx);
                            made.get(c.kind()).incrementAndGet();
                            try {
                                if (!Workload.fingerprint(c.run(guard)).equals(sequential.get(idx))) {
                                    mismatches.get(c.kind()).incrementAndGet();
                                }
                            } catch (RuntimeException e) {
                                exceptions.incrementAndGet();
                            }
                        }
                    }, "stress-" + t);
                    w.start();
                    workers.add(w);
                }
                go.countDown();
                for (Thread w : workers) {
                    w.join();
                }
            }
            double secs = (System.nanoTime() - t1) / 1e9;
            long total = (long) threads * callsPerThread;
            long bad = 0;
            for (Kind k : kinds) {
                System.out.printf(Locale.ROOT, "%-9s %,9d calls, %,6d differ from the sequential result%n", k, made.get(k).get(), mismatches.get(k).get());
                bad += mismatches.get(k).get();
            }
            System.out.printf(Locale.ROOT, "%,d calls in %.0f s (%.0f calls/s), %d exceptions, %d mismatches%n", total, secs, total / secs,
                    exceptions.get(), bad);
            if (bad > 0 || exceptions.get() > 0) {
                System.exit(1);
            }
        }
    }
}
