package dev.parapet.bench;

import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;

import java.util.List;
import java.util.Locale;

/**
 * What the default refusal head's opening costs next to the windows every head reads: per text,
 * {@code encodeWindows} (the shared pass) against {@code encodeOpenings(text, tokens)} (the refusal
 * head's extra run), each text alone, in interleaved rounds of the two, on the default encoder.
 * Texts are the {@code response} fields of a JSON Lines file (e.g. refusal/dev.jsonl), or generated
 * answers ({@link BenchTexts#answer}) without {@code --data}.
 *
 * <pre>
 * java -cp guard-bench/target/benchmarks.jar dev.parapet.bench.OpeningCostHarness \
 *      [--data ../shared/datasets/refusal/dev.jsonl] [--texts 300] [--rounds 3] [--tokens 8]
 * </pre>
 */
public final class OpeningCostHarness {
    private OpeningCostHarness() {
    }

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        String data = HarnessReport.arg(args, "data", "");
        int n = HarnessReport.intArg(args, "texts", 300);
        int rounds = HarnessReport.intArg(args, "rounds", 3);
        int tokens = HarnessReport.intArg(args, "tokens", 8);
        List<String> texts = BenchTexts.fieldOrAnswers(data, "response", n);
        HarnessReport.header("OpeningCostHarness: " + texts.size() + " texts (" + (data.isEmpty() ? "generated answers" : data) + "), "
                + rounds + " interleaved rounds, opening of " + tokens + " tokens");
        DefaultModels models = DefaultModels.load(RuntimeOptions.defaults(), DefaultModels.DEFAULT_WINDOW_TOKENS);
        TextEncoder encoder = models.encoder().encoder();
        double ratio = HarnessReport.interleavedRatio(texts, rounds, "windows", t -> encoder.encodeWindows(List.of(t)),
                "opening", t -> encoder.encodeOpenings(List.of(t), tokens));
        System.out.printf(Locale.ROOT, "opening / windows = %.3f%n", ratio);
        models.close();
    }
}
