package dev.parapet.bench;

import dev.parapet.core.ModelLoadException;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.ExecutionProvider;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.scanners.HeadScanner;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static dev.parapet.bench.HarnessReport.f;

/**
 * The default models on a GPU next to the same models on the CPU, in one process: does the CUDA
 * path run, does it give the same answers, and what does it cost per call.
 * <ol>
 *   <li>Loads {@link DefaultModels} twice, once on the CPU and once with
 *       {@code provider=cuda:N;strictProvider=true}, and fails (exit 1) unless the second loads and
 *       its encoder reports {@code CUDA:N}. {@code --gpu-options} replaces that second setting
 *       ({@code provider=cpu} checks the harness itself on a host without a GPU).</li>
 *   <li>Scores {@code --texts} distinct short texts and four-sentence answers with the toxicity and
 *       refusal scanners on both, and prints the largest score difference, the three texts that moved
 *       most, and the number of decisions that differ. With {@code --tolerance X} this is a gate
 *       (exit 1 if a decision differs or a score moves by more than X); without, it is a report,
 *       because the default models' int8 encoder does not give the same scores on different
 *       kernels (docs/gpu.md).</li>
 *   <li>Times the toxicity scanner per call, alternating CPU and CUDA call by call, on batches of 1
 *       and 32 short texts and on one text of {@code --long-words} words (10,000); prints medians and the CPU/CUDA ratio.
 *       Every call sees texts no earlier call saw, so the shared encoder's memo never answers.</li>
 * </ol>
 * {@code --dump FILE} writes every text's four scores (toxicity and refusal, CPU then CUDA) as
 * tab-separated lines, to compare hosts. {@code --placements} first opens the encoder in a bare
 * ONNX Runtime session on CUDA with verbose session logging, which prints the nodes each
 * provider runs (ONNX Runtime's own log, on standard error).
 * {@code --encoders a,b} then repeats the comparison and the timings for bare encoders
 * ({@code TextEncoder}, CLS pooling, library default options on the CPU) read from the classpath
 * as {@code NAME.onnx} and {@code NAME-tokenizer.json}, the layout of LangChain4j's embedding jars:
 * {@code bge-small-en-v1.5-q} is the default models' int8 encoder, {@code bge-small-en-v1.5} its
 * float32 original (put that jar on the classpath).
 * <p>Needs ONNX Runtime's GPU build: {@code -Pgpu}, or this jar with
 * {@code -Donnxruntime.native.path=DIR} holding the {@code onnxruntime_gpu} libraries of the same
 * version.
 * <pre>
 * java -Donnxruntime.native.path=DIR -cp guard-bench/target/benchmarks.jar dev.parapet.bench.ProviderCheck [--device 0] [--texts 256] [--calls 200]
 *      [--cpu-options intraOpThreads=4] [--gpu-options provider=cuda:0;strictProvider=true] [--tolerance 1e-3] [--encoders a,b] [--dump FILE] [--placements]
 * </pre>
 */
public final class ProviderCheck {
    private ProviderCheck() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** The check; returns the exit status (0: the second provider ran and, with {@code --tolerance}, agreed). */
    static int run(String[] args) {
        BenchModels.offlineDjl();
        int device = HarnessReport.intArg(args, "device", 0);
        int texts = HarnessReport.intArg(args, "texts", 256);
        int calls = HarnessReport.intArg(args, "calls", 200);
        int longWords = HarnessReport.intArg(args, "long-words", 10_000);
        String tol = HarnessReport.arg(args, "tolerance", "");
        double tolerance = tol.isEmpty() ? Double.POSITIVE_INFINITY : Double.parseDouble(tol);
        boolean gate = !tol.isEmpty();
        String cpuSpec = HarnessReport.arg(args, "cpu-options", "");
        RuntimeOptions cpuOptions = BenchOptions.parse(cpuSpec);
        RuntimeOptions gpuOptions = BenchOptions.parse(
                HarnessReport.arg(args, "gpu-options", "provider=cuda:" + device + ";strictProvider=true"));
        HarnessReport.header("ProviderCheck: default models, " + cpuOptions + " against " + gpuOptions);
        if (java.util.Arrays.asList(args).contains("--placements")) {
            placements(device);
        }
        String dump = HarnessReport.arg(args, "dump", "");

        long t0 = System.nanoTime();
        DefaultModels cpu = DefaultModels.load(cpuOptions, DefaultModels.DEFAULT_WINDOW_TOKENS);
        long t1 = System.nanoTime();
        DefaultModels gpu;
        try {
            gpu = DefaultModels.load(gpuOptions, DefaultModels.DEFAULT_WINDOW_TOKENS);
        } catch (ModelLoadException e) {
            cpu.close();
            System.out.println("FAIL: " + gpuOptions.provider() + " unavailable: " + e.getMessage());
            return 1;
        }
        long t2 = System.nanoTime();
        ExecutionProvider gpuProvider = gpu.encoder().encoder().provider();
        System.out.println(f("load: cpu %.0f ms (%s), cuda %.0f ms (%s)", (t1 - t0) / 1e6,
                cpu.encoder().encoder().provider(), (t2 - t1) / 1e6, gpuProvider));
        if (!gpuProvider.equals(gpuOptions.provider())) {
            System.out.println("FAIL: the encoder asked for " + gpuOptions.provider() + " runs on " + gpuProvider);
            cpu.close();
            gpu.close();
            return 1;
        }

        boolean ok = true;
        try (HeadScanner cpuTox = cpu.toxicityScanner().build(); HeadScanner gpuTox = gpu.toxicityScanner().build();
             HeadScanner cpuRef = cpu.refusalScanner().build(); HeadScanner gpuRef = gpu.refusalScanner().build()) {
            List<ScanInput> inputs = new ArrayList<>();
            for (String t : BenchTexts.shortTexts(0, texts)) {
                inputs.add(ScanInput.prompt(t));
            }
            for (int i = 0; i < texts; i++) {
                inputs.add(ScanInput.output(BenchTexts.prompt(i), BenchTexts.answer(i)));
            }
            List<ScanResult> ct = cpuTox.scanAll(inputs);
            List<ScanResult> gt = gpuTox.scanAll(inputs);
            List<ScanResult> cr = cpuRef.scanAll(inputs);
            List<ScanResult> gr = gpuRef.scanAll(inputs);
            ok &= agree("toxicity", ct, gt, tolerance);
            ok &= agree("refusal", cr, gr, tolerance);
            if (!dump.isEmpty()) {
                StringBuilder sb = new StringBuilder("text\ttoxicity_" + names(cpu, gpuProvider)[0] + "\ttoxicity_" + gpuProvider
                        + "\trefusal_" + names(cpu, gpuProvider)[0] + "\trefusal_" + gpuProvider + "\n");
                for (int i = 0; i < inputs.size(); i++) {
                    sb.append(f("%d\t%.6f\t%.6f\t%.6f\t%.6f%n", i, ct.get(i).score(), gt.get(i).score(), cr.get(i).score(), gr.get(i).score()));
                }
                try {
                    java.nio.file.Files.writeString(java.nio.file.Path.of(dump), sb);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            String[] names = names(cpu, gpuProvider);
            int[] cursor = {100_000};
            time("batch of 1", calls, () -> batch(cursor, 1), cpuTox, gpuTox, names);
            time("batch of 32", calls, () -> batch(cursor, 32), cpuTox, gpuTox, names);
            int[] seed = {1000};
            time(f("one text of %,d words", longWords), Math.max(3, calls / 20),
                    () -> List.of(ScanInput.prompt(BenchTexts.longText(longWords, seed[0]++))), cpuTox, gpuTox, names);
        } finally {
            cpu.close();
            gpu.close();
        }
        for (String name : HarnessReport.listArg(args, "encoders", "")) {
            if (!name.isBlank()) {
                ok &= encoder(name.trim(), gpuOptions, texts, calls, tolerance);
            }
        }
        if (!gate) {
            System.out.println("OK: " + gpuProvider + " runs (scores compared above; no --tolerance given)");
            return 0;
        }
        System.out.println(ok ? "OK: " + gpuProvider + " runs and agrees with the CPU within " + tol
                : "FAIL: " + gpuProvider + " and the CPU differ by more than " + tol + " (see above)");
        return ok ? 0 : 1;
    }

    /** One encoder on the CPU (library defaults) and with {@code gpuOptions}: largest vector difference, then timings. */
    private static boolean encoder(String name, RuntimeOptions gpuOptions, int texts, int calls, double tolerance) {
        ModelSource source = ModelSource.classpath(ProviderCheck.class.getClassLoader(), name + ".onnx", name + "-tokenizer.json", null);
        try (TextEncoder cpu = TextEncoder.builder(source).build(); TextEncoder gpu = TextEncoder.builder(source).options(gpuOptions).build()) {
            double maxDiff = 0;
            double minCos = 1;
            for (String t : BenchTexts.shortTexts(0, texts)) {
                float[] a = cpu.embed(t);
                float[] b = gpu.embed(t);
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (int k = 0; k < a.length; k++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
                    dot += a[k] * b[k];
                    na += a[k] * a[k];
                    nb += b[k] * b[k];
                }
                minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
            }
            boolean ok = maxDiff <= tolerance;
            System.out.println(f("encoder %s on %s: %d texts, largest component difference %.2e, lowest cosine %.6f%s",
                    name, gpu.provider(), texts, maxDiff, minCos, Double.isInfinite(tolerance) ? "" : ok ? " -> agree" : " -> DISAGREE"));
            String[] names = {name + " " + cpu.provider(), name + " " + gpu.provider()};
            int[] cursor = {200_000};
            for (int n : new int[]{1, 32}) {
                Function<TextEncoder, Double> once = e -> {
                    List<String> in = BenchTexts.shortTexts(cursor[0], n);
                    cursor[0] += n;
                    long a = System.nanoTime();
                    e.encodeWindows(in);
                    return (System.nanoTime() - a) / 1e6;
                };
                medians("encoder batch of " + n, calls, once, cpu, gpu, names);
            }
            return ok;
        }
    }

    private static <T> void medians(String what, int calls, Function<T, Double> once, T cpu, T gpu, String[] names) {
        for (int i = 0; i < 10; i++) {
            once.apply(cpu);
            once.apply(gpu);
        }
        List<Double> cpuMs = new ArrayList<>();
        List<Double> gpuMs = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            cpuMs.add(once.apply(cpu));
            gpuMs.add(once.apply(gpu));
        }
        double c = HarnessReport.median(cpuMs);
        double g = HarnessReport.median(gpuMs);
        System.out.println(f("%s, %d calls each: %s median %.2f ms, %s median %.2f ms, ratio %.2fx",
                what, calls, names[0], c, names[1], g, c / g));
    }

    private static String[] names(DefaultModels cpu, ExecutionProvider gpu) {
        return new String[]{cpu.encoder().encoder().provider().toString(), gpu.toString()};
    }

    /** Opens the default encoder on CUDA with verbose session logs, so ONNX Runtime prints where each node runs. */
    private static void placements(int device) {
        try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions()) {
            so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE);
            so.addCUDA(device);
            ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(DefaultEncoderFiles.model(), so).close();
        } catch (ai.onnxruntime.OrtException e) {
            System.out.println("placements: " + e.getMessage());
        }
    }

    private static List<ScanInput> batch(int[] cursor, int n) {
        List<ScanInput> inputs = new ArrayList<>(n);
        for (String t : BenchTexts.shortTexts(cursor[0], n)) {
            inputs.add(ScanInput.prompt(t));
        }
        cursor[0] += n;
        return inputs;
    }

    private static boolean agree(String name, List<ScanResult> cpu, List<ScanResult> gpu, double tolerance) {
        double maxDiff = 0;
        int decisions = 0;
        for (int i = 0; i < cpu.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs(cpu.get(i).score() - gpu.get(i).score()));
            if (cpu.get(i).decision() != gpu.get(i).decision()) {
                decisions++;
            }
        }
        boolean ok = decisions == 0 && maxDiff <= tolerance;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < cpu.size(); i++) {
            order.add(i);
        }
        order.sort((x, y) -> Double.compare(Math.abs(cpu.get(y).score() - gpu.get(y).score()),
                Math.abs(cpu.get(x).score() - gpu.get(x).score())));
        for (int i : order.subList(0, Math.min(3, order.size()))) {
            System.out.println(f("  text %d: score %.4f against %.4f (threshold %.4f)", i, cpu.get(i).score(), gpu.get(i).score(),
                    cpu.get(i).threshold()));
        }
        System.out.println(f("%s: %d texts, largest score difference %.2e, decisions that differ %d%s",
                name, cpu.size(), maxDiff, decisions, Double.isInfinite(tolerance) ? "" : ok ? " -> agree" : " -> DISAGREE"));
        return ok;
    }

    /** Median ms per call of each scanner, calls alternating, after ten warm-up calls each. */
    private static void time(String what, int calls, java.util.function.Supplier<List<ScanInput>> next,
                             HeadScanner cpu, HeadScanner gpu, String... names) {
        Function<HeadScanner, Double> once = sc -> {
            List<ScanInput> in = next.get();
            long a = System.nanoTime();
            sc.scanAll(in);
            return (System.nanoTime() - a) / 1e6;
        };
        medians(what, calls, once, cpu, gpu, names);
    }
}
