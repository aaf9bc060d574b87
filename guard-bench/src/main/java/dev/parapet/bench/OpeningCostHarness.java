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
        for (int i = 0; i < Math.min(20, texts.size()); i++) {
            encoder.encodeWindows(List.of(texts.get(i)));
            encoder.encodeOpenings(List.of(texts.get(i)), tokens);
        }
        double windows = 0;
        double openings = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (String t : texts) {
                encoder.encodeWindows(List.of(t));
            }
            long t1 = System.nanoTime();
            for (String t : texts) {
                encoder.encodeOpenings(List.of(t), tokens);
            }
            long t2 = System.nanoTime();
            windows += (t1 - t0) / 1e6;
            openings += (t2 - t1) / 1e6;
            System.out.printf(Locale.ROOT, "round %d: windows %.2f ms/text, opening %.2f ms/text%n", r + 1,
                    (t1 - t0) / 1e6 / texts.size(), (t2 - t1) / 1e6 / texts.size());
        }
        System.out.printf(Locale.ROOT, "opening / windows = %.3f%n", openings / windows);
        models.close();
    }
}
