package dev.parapet.cli;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.Exchange;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import dev.parapet.scanners.VerdictJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code parapet scan}: verdicts for one exchange or a file of them; exit 1 when anything is blocked. */
@Command(name = "scan",
        mixinStandardHelpOptions = true,
        versionProvider = Parapet.Version.class,
        description = {"Scan one exchange (--prompt, --output) or many (--input FILE, JSON Lines or CSV with fields "
                + "prompt and output) and print the verdict per exchange and a summary.",
                "Scanners: the default models (toxicity on prompts; toxicity, refusal and preference on outputs) or a "
                        + "guard configuration file (--config, see docs/configuration.md).",
                "Exit status: 0 when every exchange is allowed, 1 when one is blocked, 2 on a usage or input error."},
        footerHeading = "%nExamples:%n",
        footer = {"  parapet scan --prompt 'How do I bake bread?' \\",
                "      --output 'You are a worthless idiot for asking that.'",
                "  parapet scan --input exchanges.jsonl --config guard.json --json > out.jsonl",
                "  parapet scan --prompt \"$USER_INPUT\" >/dev/null || echo blocked"})
final class ScanCommand implements Callable<Integer>, Parapet.HasCommonOptions {
    @ParentCommand
    Parapet root;

    @Mixin
    CommonOptions common;

    @Mixin
    ProviderOptions providerOptions;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt of one exchange.")
    String prompt;

    @Option(names = "--output", paramLabel = "TEXT", description = "The model's output for --prompt (without it only the prompt is scanned).")
    String output;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE",
            description = "Exchanges to scan: JSON Lines (or .csv/.tsv with a header), one exchange per row; - reads JSON Lines from stdin.")
    Path input;

    @Option(names = "--prompt-field", paramLabel = "NAME", defaultValue = "prompt", description = "Field of --input rows holding the prompt (default: ${DEFAULT-VALUE}).")
    String promptField;

    @Option(names = "--output-field", paramLabel = "NAME", defaultValue = "output",
            description = "Field of --input rows holding the output (default: ${DEFAULT-VALUE}); a row without it is scanned on the prompt only.")
    String outputField;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Guard configuration (JSON); default: the default models.")
    Path config;

    @Option(names = "--json", description = "Print one JSON object per exchange (schema parapet-verdict/1, docs/result-schema.md); the summary goes to stderr.")
    boolean json;

    @Option(names = "--include-text", description = "With --json: also write sanitized_prompt and sanitized_output.")
    boolean includeText;

    @Option(names = "--limit", paramLabel = "N", description = "Scan only the first N rows of --input.")
    Integer limit;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32", description = "Exchanges per guard call with --input (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() {
        if ((prompt == null) == (input == null)) {
            throw new CliException(prompt == null ? "give --prompt TEXT (and --output TEXT) or --input FILE"
                    : "give either --prompt or --input, not both");
        }
        if (output != null && prompt == null) {
            throw new CliException("--output needs --prompt");
        }
        if (batchSize < 1) {
            throw new CliException("--batch-size must be at least 1, got " + batchSize);
        }
        if (limit != null && limit < 1) {
            throw new CliException("--limit must be at least 1, got " + limit);
        }
        List<Exchange> exchanges = new ArrayList<>();
        List<String> rowNames = new ArrayList<>();
        if (input != null) {
            for (Records.Row r : Records.read(input, limit == null ? Integer.MAX_VALUE : limit)) {
                exchanges.add(new Exchange(r.require(promptField), r.get(outputField)));
                rowNames.add(Integer.toString(r.line()));
            }
            if (exchanges.isEmpty()) {
                throw new CliException("input file " + input + " has no rows");
            }
        }
        providerOptions.rejectWithConfig(config);
        try (Guard guard = Guards.load(config, providerOptions.optionsOrNull())) {
            if (input == null) {
                return scanOne(guard);
            }
            return scanMany(guard, exchanges, rowNames);
        }
    }

    private int scanOne(Guard guard) {
        PrintStream out = root.out;
        Verdict v = output == null ? guard.scanPrompt(prompt) : guard.scan(prompt, output);
        if (json) {
            out.println(VerdictJson.toJson(v, includeText));
        } else {
            printVerdict(out, v, prompt, output, guard);
        }
        return v.allowed() ? ExitCodes.OK : ExitCodes.BLOCKED;
    }

    /**
     * One line per result and its evidence, then the verdict: the layout of the README's first command.
     * Evidence offsets point into the text each scanner judged: a sanitizer sees the text the sanitizers
     * before it left, a detector the final sanitized text.
     */
    static void printVerdict(PrintStream out, Verdict verdict, String prompt, String output, Guard guard) {
        Set<String> promptSanitizers = sanitizers(guard.inputScanners());
        Set<String> outputSanitizers = sanitizers(guard.outputScanners());
        String promptSoFar = prompt;
        String outputSoFar = output;
        for (ScanResult r : verdict.results()) {
            boolean promptStage = r.stage() == Stage.PROMPT;
            boolean sanitizer = (promptStage ? promptSanitizers : outputSanitizers).contains(r.scanner());
            String finalText = promptStage ? verdict.sanitizedPrompt() : verdict.sanitizedOutput();
            String text = sanitizer ? (promptStage ? promptSoFar : outputSoFar) : finalText;
            out.printf(Locale.ROOT, "%-6s  %-10s  %-7s  score=%s  threshold=%s  label=%s  provider=%s  %dms%n",
                    stage(r.stage()), r.scanner(), r.decision(), Format.prob(r.score()), Format.prob(r.threshold()),
                    r.label() == null ? "-" : r.label(), r.attributes().getOrDefault("provider", "-"), r.latency().toMillis());
            if (r.attributes().containsKey("preference")) {
                out.println("        preference " + r.attributes().get("preference") + " (the chance this answer beats a typical one)");
            }
            for (Evidence e : r.evidence()) {
                String excerpt = text == null ? "" : Format.abbreviate(e.excerpt(text), 80);
                out.printf(Locale.ROOT, "        evidence [%d, %d)%s: \"%s\"%n", e.start(), e.end(),
                        e.detail() == null ? "" : " " + Format.abbreviate(e.detail(), 100), excerpt);
            }
            if (r.errorMessage() != null) {
                out.println("        error: " + Parapet.oneLine(r.errorMessage()));
            }
            if (sanitizer && r.sanitizedText() != null && r.decision() != Decision.ERROR) {
                if (promptStage) {
                    promptSoFar = r.sanitizedText();
                } else {
                    outputSoFar = r.sanitizedText();
                }
            }
        }
        if (!verdict.sanitizedPrompt().equals(prompt)) {
            out.println("sanitized prompt: " + Format.abbreviate(verdict.sanitizedPrompt(), 200));
        }
        if (verdict.sanitizedOutput() != null && !verdict.sanitizedOutput().equals(output)) {
            out.println("sanitized output: " + Format.abbreviate(verdict.sanitizedOutput(), 200));
        }
        out.println(verdict.allowed() ? "verdict: ALLOWED"
                : "verdict: BLOCKED by " + verdict.firstBlocking().map(r -> r.scanner() + " on the " + stage(r.stage())).orElse("?"));
    }

    private static Set<String> sanitizers(List<dev.parapet.core.Scanner> scanners) {
        Set<String> names = new java.util.HashSet<>();
        for (dev.parapet.core.Scanner s : scanners) {
            if (s.isSanitizer()) {
                names.add(s.name());
            }
        }
        return names;
    }

    private int scanMany(Guard guard, List<Exchange> exchanges, List<String> rowNames) {
        PrintStream out = root.out;
        List<Verdict> verdicts = new ArrayList<>(exchanges.size());
        long start = System.nanoTime();
        try (Progress p = Progress.start(root.err, "scan", exchanges.size(), "exchanges", !common.noProgress)) {
            for (int i = 0; i < exchanges.size(); i += batchSize) {
                List<Exchange> batch = exchanges.subList(i, Math.min(exchanges.size(), i + batchSize));
                List<Verdict> got = guard.scanAll(batch);
                if (json) {
                    for (Verdict v : got) {
                        out.println(VerdictJson.toJson(v, includeText));
                    }
                    out.flush();
                }
                verdicts.addAll(got);
                p.step(batch.size());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!json) {
            out.print(table(verdicts, rowNames).render());
            out.println();
        }
        String summary = summary(verdicts, seconds);
        (json ? root.err : out).print(summary);
        long blocked = verdicts.stream().filter(Verdict::blocked).count();
        return blocked > 0 ? ExitCodes.BLOCKED : ExitCodes.OK;
    }

    /** One row per exchange: its input line, the verdict and every scanner's score (* flagged, E error). */
    static TextTable table(List<Verdict> verdicts, List<String> rowNames) {
        Set<String> columns = new LinkedHashSet<>();
        for (Verdict v : verdicts) {
            for (ScanResult r : v.results()) {
                columns.add(key(r));
            }
        }
        List<String> header = new ArrayList<>(List.of("row", "verdict"));
        header.addAll(columns);
        TextTable t = new TextTable(header);
        for (int i = 0; i < verdicts.size(); i++) {
            Verdict v = verdicts.get(i);
            Map<String, String> cells = new LinkedHashMap<>();
            for (ScanResult r : v.results()) {
                cells.putIfAbsent(key(r), cell(r));
            }
            List<String> row = new ArrayList<>(List.of(rowNames.get(i), v.allowed() ? "allowed" : "BLOCKED"));
            for (String c : columns) {
                row.add(cells.getOrDefault(c, ""));
            }
            t.row(row);
        }
        return t;
    }

    private static String cell(ScanResult r) {
        return switch (r.decision()) {
            case ERROR -> "error";
            case SKIPPED -> "skipped";
            case FLAGGED -> (Double.isNaN(r.score()) ? "flagged" : Format.prob(r.score())) + "*";
            case PASSED -> Double.isNaN(r.score()) ? "-" : Format.prob(r.score());
        };
    }

    static String summary(List<Verdict> verdicts, double seconds) {
        long blocked = verdicts.stream().filter(Verdict::blocked).count();
        Map<String, Integer> by = new LinkedHashMap<>();
        // in the order of the scanners, as the table's columns
        for (Verdict v : verdicts) {
            for (ScanResult r : v.results()) {
                by.putIfAbsent(key(r), 0);
                by.putIfAbsent(key(r) + " (error)", 0);
            }
        }
        int errors = 0;
        for (Verdict v : verdicts) {
            for (ScanResult r : v.blockingResults()) {
                by.merge(key(r) + (r.decision() == Decision.ERROR ? " (error)" : ""), 1, Integer::sum);
            }
            errors += (int) v.results().stream().filter(r -> r.decision() == Decision.ERROR).count();
        }
        by.values().removeIf(n -> n == 0);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d exchange%s: %d allowed, %d blocked (%.1f%%) in %.1f s (%.1f exchanges/s)%n",
                verdicts.size(), verdicts.size() == 1 ? "" : "s", verdicts.size() - blocked, blocked, 100.0 * blocked / verdicts.size(), seconds,
                verdicts.size() / Math.max(seconds, 1e-9)));
        if (!by.isEmpty()) {
            List<String> parts = new ArrayList<>();
            by.forEach((k, n) -> parts.add(k + " " + n));
            sb.append("blocking results: ").append(String.join(", ", parts)).append('\n');
        }
        if (errors > 0) {
            sb.append("scanner errors: ").append(errors).append(" (run one exchange with --prompt/--output to see the message)\n");
        }
        return sb.toString();
    }

    private static String key(ScanResult r) {
        return stage(r.stage()) + ":" + r.scanner();
    }

    static String stage(Stage s) {
        return s.name().toLowerCase(Locale.ROOT);
    }
}
