package dev.parapet.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.scanners.HeadScanner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.parapet.bench.HarnessReport.f;

/**
 * The peer comparison of issue 8: in one process, on the same texts and the same encoder
 * (bge-small-en-v1.5-q from LangChain4j's jar), the throughput in texts/s of
 * <ul>
 *   <li>{@code parapet}: the default toxicity scanner, {@code DefaultModels.load().toxicityScanner().build()},
 *       {@code scanAll} over all the texts of a slice in one call (default runtime options);</li>
 *   <li>{@code parapet32}: the same scanner, {@code scanAll} in calls of 32 texts;</li>
 *   <li>{@code raw}: {@link RawEncoderLoop}, the hand-written DJL + ONNX Runtime loop, batches of 32,
 *       two intra-op threads;</li>
 *   <li>{@code lc4j}: LangChain4j's {@code BgeSmallEnV15QuantizedEmbeddingModel.embedAll}, as it comes;</li>
 *   <li>(optional) {@code parapet-i1x2} and {@code raw-i1x2}: one intra-op thread per session and the
 *       texts split between two calling threads, to choose the default thread count;</li>
 *   <li>(optional) {@code parapet@settings} and {@code parapet32@settings}: the default scanner on
 *       other runtime options, e.g. {@code parapet@intraOpThreads=2;maxBatchSize=16} (see {@link BenchOptions}).</li>
 * </ul>
 * Workloads: {@code --short} distinct short texts (default 2,000) and {@code --long} distinct long
 * texts of {@code --long-words} words (default 48 of 600). Each round gives every system the same,
 * new texts, cut into {@code --slices} slices (default 8); all systems run slice k, in a rotated
 * order, before any runs slice k+1, so that load from other processes falls on all of them alike.
 * A system's time for the round is the sum of its slices; ratios are taken per round and their
 * median reported, next to the process CPU time per text (steadier on a shared machine). Every Parapet system has its own
 * {@code DefaultModels} (own memo), and the harness prints how many texts its encoder actually ran,
 * which must equal the number of texts: no memo hits.
 *
 * <pre>
 * java -cp guard-bench/target/benchmarks.jar dev.parapet.bench.CompareHarness [--rounds 3] [--short 2000]
 *      [--long 48] [--long-words 600] [--slices 8] [--systems parapet,parapet32,raw,lc4j]
 * </pre>
 */
public final class CompareHarness {
    private CompareHarness() {
    }

    /** One contender: texts in, one vector or result per text out. */
    private interface Contender extends AutoCloseable {
        int run(List<String> texts) throws Exception;

        /** Texts its encoder actually ran since the last call, or -1 when not known. */
        default long encodedSinceLast() {
            return -1;
        }

        @Override
        default void close() throws Exception {
        }
    }

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        int rounds = HarnessReport.intArg(args, "rounds", 3);
        int shortCount = HarnessReport.intArg(args, "short", 2000);
        int longCount = HarnessReport.intArg(args, "long", 48);
        int longWords = HarnessReport.intArg(args, "long-words", 600);
        int slices = HarnessReport.intArg(args, "slices", 8);
        List<String> names = HarnessReport.listArg(args, "systems", "parapet,parapet32,raw,lc4j");
        HarnessReport.header("CompareHarness: " + rounds + " rounds, " + shortCount + " short texts, " + longCount + " long texts of "
                + longWords + " words, systems " + names);
        System.out.println("# RuntimeOptions.defaults() = " + RuntimeOptions.defaults());
        for (String name : names) {
            if (name.contains("@")) {
                System.out.println("# " + name + " = " + BenchOptions.parse(name.substring(name.indexOf('@') + 1)));
            }
        }

        Map<String, Contender> systems = new LinkedHashMap<>();
        for (String name : names) {
            systems.put(name, create(name));
        }
        // warm-up: every system on texts no round uses soon
        for (Map.Entry<String, Contender> s : systems.entrySet()) {
            s.getValue().run(BenchTexts.shortTexts(3000, 256));
            s.getValue().run(BenchTexts.longTexts(8, longWords, 9000));
            s.getValue().encodedSinceLast();
        }
        Map<String, Map<String, List<Double>>> rates = new LinkedHashMap<>();
        Map<String, Map<String, List<Double>>> cpu = new LinkedHashMap<>();
        for (String workload : List.of("short", "long")) {
            Map<String, List<Double>> m = new LinkedHashMap<>();
            Map<String, List<Double>> c = new LinkedHashMap<>();
            for (String name : names) {
                m.put(name, new ArrayList<>());
                c.put(name, new ArrayList<>());
            }
            rates.put(workload, m);
            cpu.put(workload, c);
        }
        System.out.println("round,workload,system,texts,seconds,texts_per_s,cpu_ms_per_text,encoder_texts,load1");
        for (int r = 0; r < rounds; r++) {
            for (String workload : List.of("short", "long")) {
                List<String> texts = workload.equals("short")
                        ? BenchTexts.shortTexts(r * shortCount, shortCount)
                        : BenchTexts.longTexts(longCount, longWords, 1000 + r * longCount);
                // The round's texts go in slices; every system runs slice k before any runs slice k+1,
                // so that a burst of load from other processes lands on all systems alike.
                Map<String, long[]> spent = new LinkedHashMap<>();
                int sliceSize = (texts.size() + slices - 1) / slices;
                for (int from = 0, k = 0; from < texts.size(); from += sliceSize, k++) {
                    List<String> slice = texts.subList(from, Math.min(texts.size(), from + sliceSize));
                    List<String> order = new ArrayList<>(names);
                    java.util.Collections.rotate(order, -(r + k));
                    for (String name : order) {
                        Contender s = systems.get(name);
                        long cpu0 = HarnessReport.processCpuNanos();
                        long start = System.nanoTime();
                        int n = s.run(slice);
                        long wall = System.nanoTime() - start;
                        long cpuUsed = HarnessReport.processCpuNanos() - cpu0;
                        if (n != slice.size()) {
                            throw new IllegalStateException(name + " returned " + n + " results for " + slice.size() + " texts");
                        }
                        long[] acc = spent.computeIfAbsent(name, x -> new long[2]);
                        acc[0] += wall;
                        acc[1] += cpuUsed;
                    }
                }
                for (String name : names) {
                    Contender s = systems.get(name);
                    double seconds = spent.get(name)[0] / 1e9;
                    double cpuPerText = spent.get(name)[1] / 1e6 / texts.size();
                    double rate = texts.size() / seconds;
                    rates.get(workload).get(name).add(rate);
                    cpu.get(workload).get(name).add(cpuPerText);
                    System.out.println(f("%d,%s,%s,%d,%.2f,%.1f,%.2f,%d,%.2f", r, workload, name, texts.size(), seconds, rate, cpuPerText,
                            s.encodedSinceLast(), HarnessReport.loadAverage()));
                }
            }
        }
        System.out.println();
        for (String workload : rates.keySet()) {
            System.out.println("## " + workload + " texts: texts/s, median [min, max] over " + rounds + " rounds; process CPU ms per text, median");
            for (Map.Entry<String, List<Double>> e : rates.get(workload).entrySet()) {
                System.out.println(f("%-14s %8.1f [%.1f, %.1f]   cpu %.2f ms/text", e.getKey(), HarnessReport.median(e.getValue()),
                        HarnessReport.min(e.getValue()), HarnessReport.max(e.getValue()), HarnessReport.median(cpu.get(workload).get(e.getKey()))));
            }
            Map<String, List<Double>> m = rates.get(workload);
            for (String[] pair : new String[][]{{"parapet", "raw"}, {"parapet32", "raw"}, {"parapet", "lc4j"}, {"parapet32", "lc4j"},
                    {"raw", "lc4j"}, {"parapet-i1x2", "parapet"}, {"raw-i1x2", "raw"}, {"parapet-i1x2", "raw"}}) {
                if (m.containsKey(pair[0]) && m.containsKey(pair[1])) {
                    List<Double> ratios = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        ratios.add(m.get(pair[0]).get(r) / m.get(pair[1]).get(r));
                    }
                    System.out.println(f("ratio %s / %s: median %.3f [%.3f, %.3f] per round %s", pair[0], pair[1],
                            HarnessReport.median(ratios), HarnessReport.min(ratios), HarnessReport.max(ratios),
                            ratios.stream().map(x -> f("%.3f", x)).toList()));
                }
            }
            for (String name : m.keySet()) {
                if (!name.contains("@")) {
                    continue;
                }
                for (String other : List.of("raw", "lc4j", "parapet")) {
                    if (m.containsKey(other)) {
                        List<Double> ratios = new ArrayList<>();
                        for (int r = 0; r < rounds; r++) {
                            ratios.add(m.get(name).get(r) / m.get(other).get(r));
                        }
                        System.out.println(f("ratio %s / %s: median %.3f [%.3f, %.3f]", name, other, HarnessReport.median(ratios),
                                HarnessReport.min(ratios), HarnessReport.max(ratios)));
                    }
                }
            }
            System.out.println();
        }
        System.out.println(f("# load average %.2f at end", HarnessReport.loadAverage()));
        for (Contender s : systems.values()) {
            s.close();
        }
    }

    private static Contender create(String name) throws Exception {
        // "parapet@k=v;k=v" and "parapet32@...": the default scanner on RuntimeOptions set by BenchOptions
        if (name.startsWith("parapet@") || name.startsWith("parapet32@")) {
            String spec = name.substring(name.indexOf('@') + 1);
            return parapet(BenchOptions.parse(spec), name.startsWith("parapet32@") ? 32 : Integer.MAX_VALUE, 1);
        }
        switch (name) {
            case "parapet":
                return parapet(RuntimeOptions.defaults(), Integer.MAX_VALUE, 1);
            case "parapet32":
                return parapet(RuntimeOptions.defaults(), 32, 1);
            case "parapet-i1x2":
                return parapet(RuntimeOptions.builder().intraOpThreads(1).build(), Integer.MAX_VALUE, 2);
            case "parapet-i2x2":
                return parapet(RuntimeOptions.builder().intraOpThreads(2).build(), Integer.MAX_VALUE, 2);
            case "raw": {
                RawEncoderLoop loop = new RawEncoderLoop(2, 32);
                return new Contender() {
                    @Override
                    public int run(List<String> texts) throws Exception {
                        return loop.embedAll(texts).length;
                    }

                    @Override
                    public void close() throws Exception {
                        loop.close();
                    }
                };
            }
            case "raw-i1x2": {
                RawEncoderLoop a = new RawEncoderLoop(1, 32);
                RawEncoderLoop b = new RawEncoderLoop(a.session(), 1, 32);
                ExecutorService pool = Executors.newFixedThreadPool(2);
                return new Contender() {
                    @Override
                    public int run(List<String> texts) throws Exception {
                        int half = texts.size() / 2;
                        Future<float[][]> first = pool.submit(() -> a.embedAll(texts.subList(0, half)));
                        Future<float[][]> second = pool.submit(() -> b.embedAll(texts.subList(half, texts.size())));
                        return first.get().length + second.get().length;
                    }

                    @Override
                    public void close() throws Exception {
                        pool.shutdown();
                        b.close();
                        a.close();
                    }
                };
            }
            case "lc4j": {
                BgeSmallEnV15QuantizedEmbeddingModel model = new BgeSmallEnV15QuantizedEmbeddingModel();
                return texts -> {
                    List<TextSegment> segments = new ArrayList<>(texts.size());
                    for (String t : texts) {
                        segments.add(TextSegment.from(t));
                    }
                    return model.embedAll(segments).content().size();
                };
            }
            default:
                throw new IllegalArgumentException("unknown system '" + name + "'; known: parapet, parapet32, parapet-i1x2, parapet-i2x2, raw, raw-i1x2, lc4j");
        }
    }

    /** The default toxicity scanner on its own DefaultModels (own memo), in calls of {@code perCall} texts from {@code callers} threads. */
    private static Contender parapet(RuntimeOptions options, int perCall, int callers) {
        DefaultModels models = DefaultModels.load(options, DefaultModels.DEFAULT_WINDOW_TOKENS);
        HeadScanner scanner = models.toxicityScanner().build();
        ExecutorService pool = callers > 1 ? Executors.newFixedThreadPool(callers) : null;
        long[] last = {0};
        return new Contender() {
            @Override
            public int run(List<String> texts) throws Exception {
                List<ScanInput> inputs = new ArrayList<>(texts.size());
                for (String t : texts) {
                    inputs.add(ScanInput.prompt(t));
                }
                if (pool == null) {
                    return scanInCalls(inputs);
                }
                int share = (inputs.size() + callers - 1) / callers;
                List<Future<Integer>> parts = new ArrayList<>();
                for (int from = 0; from < inputs.size(); from += share) {
                    List<ScanInput> part = inputs.subList(from, Math.min(inputs.size(), from + share));
                    parts.add(pool.submit(() -> scanInCalls(part)));
                }
                int n = 0;
                for (Future<Integer> p : parts) {
                    n += p.get();
                }
                return n;
            }

            private int scanInCalls(List<ScanInput> inputs) {
                int n = 0;
                for (int from = 0; from < inputs.size(); from += perCall) {
                    List<ScanResult> results = scanner.scanAll(inputs.subList(from, (int) Math.min(inputs.size(), (long) from + perCall)));
                    for (ScanResult r : results) {
                        if (r.decision() == dev.parapet.core.Decision.ERROR) {
                            throw new IllegalStateException("scan failed: " + r.errorMessage());
                        }
                    }
                    n += results.size();
                }
                return n;
            }

            @Override
            public long encodedSinceLast() {
                long now = models.encoder().textsEncoded();
                long delta = now - last[0];
                last[0] = now;
                return delta;
            }

            @Override
            public void close() {
                if (pool != null) {
                    pool.shutdown();
                }
                scanner.close();
                models.close();
            }
        };
    }
}
