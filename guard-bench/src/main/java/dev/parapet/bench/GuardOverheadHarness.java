package dev.parapet.bench;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;

import java.util.ArrayList;
import java.util.List;

import static dev.parapet.bench.HarnessReport.f;

/**
 * What {@code Guard.scan(prompt, output)} with the three default model scanners costs next to the
 * encoder work it cannot avoid, measured call by call, alternating, in one process:
 * <ul>
 *   <li>{@code guard}: {@code Guard.scan(prompt, output)}, scanners arranged as {@link DefaultModels#guard()};</li>
 *   <li>{@code pair}: one encoder pass over the same two texts, {@code TextEncoder.encodeWindows(List.of(prompt, output))};</li>
 *   <li>{@code two}: two encoder passes, one text each (what the guard's two stages must do, since
 *       the output stage reads the prompt stage's sanitized prompt).</li>
 * </ul>
 * Exchange {@code i} is ({@link BenchTexts#prompt}, {@link BenchTexts#answer}); each kind gets its own
 * exchanges, so no text reaches the encoder's memo twice. The harness also counts the texts the
 * shared encoder ran per guard call: 2 means one encoder pass per text for four heads.
 *
 * <pre>
 * java -cp guard-bench/target/benchmarks.jar dev.parapet.bench.GuardOverheadHarness [--calls 600] [--options intraOpThreads=1]
 * </pre>
 */
public final class GuardOverheadHarness {
    private GuardOverheadHarness() {
    }

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        int calls = HarnessReport.intArg(args, "calls", 600);
        String spec = HarnessReport.arg(args, "options", "");
        RuntimeOptions options = BenchOptions.parse(spec);
        HarnessReport.header("GuardOverheadHarness: " + calls + " calls of each kind, alternating; " + options);
        DefaultModels models = DefaultModels.load(options, DefaultModels.DEFAULT_WINDOW_TOKENS);
        Guard guard = Guard.builder()
                .inputScanner(models.toxicityScanner().build())
                .outputScanner(models.toxicityScanner().build())
                .outputScanner(models.refusalScanner().build())
                .outputScanner(models.preferenceScanner().build())
                .build();
        TextEncoder encoder = models.encoder().encoder();
        // warm-up
        for (int i = 0; i < 60; i++) {
            guard.scan(BenchTexts.prompt(9000 + i), BenchTexts.answer(9000 + i));
            encoder.encodeWindows(List.of(BenchTexts.prompt(9100 + i), BenchTexts.answer(9100 + i)));
        }
        List<Double> guardMs = new ArrayList<>();
        List<Double> pairMs = new ArrayList<>();
        List<Double> twoMs = new ArrayList<>();
        long guardCpu = 0;
        long pairCpu = 0;
        long twoCpu = 0;
        long encodedBefore = models.encoder().textsEncoded();
        for (int c = 0; c < calls; c++) {
            int i = 3 * c;
            for (int k = 0; k < 3; k++) {
                // rotate the order so that no kind always follows the same one
                int kind = (k + c) % 3;
                long cpu0 = HarnessReport.processCpuNanos();
                long t0 = System.nanoTime();
                if (kind == 0) {
                    check(guard.scan(BenchTexts.prompt(i), BenchTexts.answer(i)));
                } else if (kind == 1) {
                    encoder.encodeWindows(List.of(BenchTexts.prompt(i + 1), BenchTexts.answer(i + 1)));
                } else {
                    encoder.encodeWindows(List.of(BenchTexts.prompt(i + 2)));
                    encoder.encodeWindows(List.of(BenchTexts.answer(i + 2)));
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                long cpu = HarnessReport.processCpuNanos() - cpu0;
                if (kind == 0) {
                    guardMs.add(ms);
                    guardCpu += cpu;
                } else if (kind == 1) {
                    pairMs.add(ms);
                    pairCpu += cpu;
                } else {
                    twoMs.add(ms);
                    twoCpu += cpu;
                }
            }
        }
        long encodedByGuard = models.encoder().textsEncoded() - encodedBefore;
        System.out.println(f("guard.scan      median %.2f ms  mean %.2f ms  cpu %.2f ms/call", HarnessReport.median(guardMs), mean(guardMs), guardCpu / 1e6 / calls));
        System.out.println(f("encoder pair    median %.2f ms  mean %.2f ms  cpu %.2f ms/call", HarnessReport.median(pairMs), mean(pairMs), pairCpu / 1e6 / calls));
        System.out.println(f("encoder 2 x 1   median %.2f ms  mean %.2f ms  cpu %.2f ms/call", HarnessReport.median(twoMs), mean(twoMs), twoCpu / 1e6 / calls));
        System.out.println(f("ratio guard / pair: median %.3f, mean %.3f, cpu %.3f", HarnessReport.median(guardMs) / HarnessReport.median(pairMs),
                mean(guardMs) / mean(pairMs), (double) guardCpu / pairCpu));
        System.out.println(f("ratio guard / two single passes: median %.3f, mean %.3f, cpu %.3f", HarnessReport.median(guardMs) / HarnessReport.median(twoMs),
                mean(guardMs) / mean(twoMs), (double) guardCpu / twoCpu));
        System.out.println(f("texts the shared encoder ran per guard call: %.3f (prompt + output = 2; four heads read them)",
                (double) encodedByGuard / calls));
        System.out.println(f("# load average %.2f at end", HarnessReport.loadAverage()));
        guard.close();
        models.close();
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static void check(Verdict v) {
        for (ScanResult r : v.results()) {
            if (r.decision() == Decision.ERROR) {
                throw new IllegalStateException("scanner " + r.scanner() + " failed: " + r.errorMessage());
            }
        }
    }
}
