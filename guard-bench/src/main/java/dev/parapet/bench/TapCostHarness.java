package dev.parapet.bench;

import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.onnx.TextEncoder;

import java.util.List;
import java.util.Locale;

/**
 * What reading intermediate encoder layers costs: the default encoder's windows, each text alone,
 * pooled from the final layer only (a plain session) against the final layer plus the default heads'
 * taps (the session {@code DefaultModels} runs), in interleaved rounds. Texts are a field of a JSON
 * Lines file ({@code --field}, default {@code response}), or generated answers ({@link BenchTexts#answer})
 * without {@code --data}.
 *
 * <pre>
 * java -cp guard-bench/target/benchmarks.jar dev.parapet.bench.TapCostHarness \
 *      [--data ../shared/datasets/refusal/dev.jsonl] [--field response] [--texts 300] [--rounds 3]
 * </pre>
 */
public final class TapCostHarness {
    private TapCostHarness() {
    }

    public static void main(String[] args) throws Exception {
        BenchModels.offlineDjl();
        String data = HarnessReport.arg(args, "data", "");
        String field = HarnessReport.arg(args, "field", "response");
        int n = HarnessReport.intArg(args, "texts", 300);
        int rounds = HarnessReport.intArg(args, "rounds", 3);
        List<String> texts = BenchTexts.fieldOrAnswers(data, field, n);
        List<String> taps;
        try (DefaultModels models = DefaultModels.load()) {
            taps = models.encoder().encoder().taps();
        }
        HarnessReport.header("TapCostHarness: " + texts.size() + " texts (" + (data.isEmpty() ? "generated answers" : data + ", " + field) + "), "
                + rounds + " interleaved rounds, taps " + taps);
        ModelSource source = ModelSource.classpath(TapCostHarness.class.getClassLoader(), DefaultEncoderFiles.MODEL, DefaultEncoderFiles.TOKENIZER, null);
        try (TextEncoder plain = TextEncoder.builder(source).maxLength(DefaultEncoderFiles.WINDOW).options(RuntimeOptions.defaults()).build();
             TextEncoder tapped = TextEncoder.builder(source).maxLength(DefaultEncoderFiles.WINDOW).options(RuntimeOptions.defaults()).taps(taps).build()) {
            double ratio = HarnessReport.interleavedRatio(texts, rounds, "final layer", t -> plain.encodeWindows(List.of(t)),
                    "with taps", t -> tapped.encodeWindows(List.of(t)));
            System.out.printf(Locale.ROOT, "with taps / final layer only = %.3f%n", ratio);
        }
    }
}
