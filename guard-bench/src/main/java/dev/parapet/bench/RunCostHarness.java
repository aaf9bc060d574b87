package dev.parapet.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.parapet.bench.HarnessReport.f;

/**
 * What batching can buy at all: the CPU time one ONNX run of the default encoder costs per text, at
 * batch sizes 1 to 32, on one intra-op thread, so the calling thread does all the work and its CPU
 * time ({@code ThreadMXBean}) measures the work itself, little disturbed by other processes on the
 * machine (wall time is reported too). With {@code --intra 2} the CPU time is the whole process's,
 * ONNX Runtime's pool thread (and its spinning) included. Texts are the short benchmark texts, in groups of 32 either
 * sorted by length (as Parapet packs them) or in arrival order (what a micro-batch of whatever
 * arrived holds); each run is padded to its longest row. Batch sizes are interleaved round by round.
 *
 * <pre>
 * java -cp guard-bench/target/benchmarks.jar dev.parapet.bench.RunCostHarness [--rounds 5] [--groups 8]
 * </pre>
 */
public final class RunCostHarness {
    private RunCostHarness() {
    }

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        int rounds = HarnessReport.intArg(args, "rounds", 5);
        int groups = HarnessReport.intArg(args, "groups", 8);
        List<Integer> sizes = HarnessReport.listArg(args, "sizes", "1,2,4,8,16,32").stream().map(Integer::parseInt).toList();
        int intra = HarnessReport.intArg(args, "intra", 1);
        List<Double> paddingFractions = HarnessReport.listArg(args, "padding", "0.1,0.25,0.5").stream().map(Double::parseDouble).toList();
        HarnessReport.header("RunCostHarness: " + rounds + " rounds, " + groups + " groups of 32 short texts, batch sizes " + sizes
                + ", intra-op threads " + intra);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(intra);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(DefaultEncoderFiles.model(), so);
        }
        List<Encoding[]> sorted = new ArrayList<>();
        List<Encoding[]> arrival = new ArrayList<>();
        long realTokens = 0;
        try (HuggingFaceTokenizer tokenizer = DefaultEncoderFiles.windowedTokenizer()) {
            for (int g = 0; g < groups; g++) {
                Encoding[] e = tokenizer.batchEncode(BenchTexts.shortTexts(g * 32 + 7, 32));
                arrival.add(e.clone());
                Arrays.sort(e, Comparator.comparingInt((Encoding x) -> x.getIds().length).reversed());
                sorted.add(e);
                for (Encoding x : e) {
                    realTokens += x.getIds().length;
                }
            }
        }
        System.out.println(f("# %.1f tokens per text on average (special tokens included)", realTokens / (32.0 * groups)));
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        System.out.println("round,order,batch,cpu_ms_per_text,wall_ms_per_text,padded_cells_per_text,load1");
        // warm-up
        runAll(env, session, sorted, 8);
        runAll(env, session, arrival, 8);
        for (int r = 0; r < rounds; r++) {
            List<Integer> order = new ArrayList<>(sizes);
            java.util.Collections.rotate(order, -r);
            for (double frac : paddingFractions) {
                long cpu0 = intra == 1 ? mx.getCurrentThreadCpuTime() : HarnessReport.processCpuNanos();
                long wall0 = System.nanoTime();
                long cells = runPacked(env, session, sorted, frac);
                double cpu = ((intra == 1 ? mx.getCurrentThreadCpuTime() : HarnessReport.processCpuNanos()) - cpu0) / 1e6 / (32.0 * groups);
                double wall = (System.nanoTime() - wall0) / 1e6 / (32.0 * groups);
                results.computeIfAbsent("packed" + frac + "|32", k -> new ArrayList<>()).add(new double[]{cpu, wall, cells / (32.0 * groups)});
                System.out.println(f("%d,packed%.2f,32,%.3f,%.3f,%.1f,%.2f", r, frac, cpu, wall, cells / (32.0 * groups), HarnessReport.loadAverage()));
            }
            for (String kind : List.of("sorted", "arrival")) {
                for (int b : order) {
                    long cpu0 = intra == 1 ? mx.getCurrentThreadCpuTime() : HarnessReport.processCpuNanos();
                    long wall0 = System.nanoTime();
                    long cells = runAll(env, session, kind.equals("sorted") ? sorted : arrival, b);
                    double cpu = ((intra == 1 ? mx.getCurrentThreadCpuTime() : HarnessReport.processCpuNanos()) - cpu0) / 1e6 / (32.0 * groups);
                    double wall = (System.nanoTime() - wall0) / 1e6 / (32.0 * groups);
                    results.computeIfAbsent(kind + "|" + b, k -> new ArrayList<>()).add(new double[]{cpu, wall, cells / (32.0 * groups)});
                    System.out.println(f("%d,%s,%d,%.3f,%.3f,%.1f,%.2f", r, kind, b, cpu, wall, cells / (32.0 * groups), HarnessReport.loadAverage()));
                }
            }
        }
        System.out.println();
        System.out.println("## median over rounds: CPU ms per text (calling thread), wall ms per text, padded token cells per text");
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            List<Double> cpu = e.getValue().stream().map(x -> x[0]).toList();
            List<Double> wall = e.getValue().stream().map(x -> x[1]).toList();
            System.out.println(f("%-8s batch %2s: cpu %.3f ms/text [%.3f, %.3f]  wall %.3f ms/text  cells %.1f", e.getKey().split("\\|")[0],
                    e.getKey().split("\\|")[1], HarnessReport.median(cpu), HarnessReport.min(cpu), HarnessReport.max(cpu),
                    HarnessReport.median(wall), e.getValue().get(0)[2]));
        }
        System.out.println(f("# load average %.2f at end", HarnessReport.loadAverage()));
        session.close();
    }

    /**
     * Runs every (length-sorted) group cut into runs of at most 32 rows, a run ending where the
     * next row would make its padding more than {@code fraction} of its real tokens; returns the
     * padded token cells.
     */
    private static long runPacked(OrtEnvironment env, OrtSession session, List<Encoding[]> groups, double fraction) throws OrtException {
        long cells = 0;
        for (Encoding[] g : groups) {
            int from = 0;
            while (from < g.length) {
                int len = g[from].getIds().length;
                long real = len;
                int to = from + 1;
                while (to < g.length && to - from < 32) {
                    long realAfter = real + g[to].getIds().length;
                    if ((long) (to - from + 1) * len > (1 + fraction) * realAfter) {
                        break;
                    }
                    real = realAfter;
                    to++;
                }
                cells += runOne(env, session, Arrays.copyOfRange(g, from, to));
                from = to;
            }
        }
        return cells;
    }

    /** Runs every group cut in batches of {@code batch}; returns the padded token cells. */
    private static long runAll(OrtEnvironment env, OrtSession session, List<Encoding[]> groups, int batch) throws OrtException {
        long cells = 0;
        for (Encoding[] g : groups) {
            for (int from = 0; from < g.length; from += batch) {
                cells += runOne(env, session, Arrays.copyOfRange(g, from, Math.min(g.length, from + batch)));
            }
        }
        return cells;
    }

    private static long runOne(OrtEnvironment env, OrtSession session, Encoding[] rows) throws OrtException {
        int len = 0;
        for (Encoding e : rows) {
            len = Math.max(len, e.getIds().length);
        }
        LongBuffer ids = direct(rows.length * len);
        LongBuffer mask = direct(rows.length * len);
        LongBuffer types = direct(rows.length * len);
        for (int r = 0; r < rows.length; r++) {
            ids.put(r * len, rows[r].getIds());
            mask.put(r * len, rows[r].getAttentionMask());
            types.put(r * len, rows[r].getTypeIds());
        }
        long[] shape = {rows.length, len};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, ids, shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
            in.put("token_type_ids", OnnxTensor.createTensor(env, types, shape));
            try (OrtSession.Result res = session.run(in, Set.of("last_hidden_state"))) {
                res.get(0);
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
        return (long) len * rows.length;
    }

    private static LongBuffer direct(int longs) {
        return ByteBuffer.allocateDirect(longs * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }
}
