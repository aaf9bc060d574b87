package dev.parapet.examples;

import dev.parapet.core.Evidence;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;

import java.util.Locale;

/**
 * Scans one prompt and one output and prints the verdict: the README's first command.
 *
 * <pre>
 * mvn -q -pl examples -am compile exec:java -Dexec.args="--prompt 'How do I bake bread?' --output 'You are an idiot.'"
 * </pre>
 *
 * The scanners are Parapet's default models from the classpath — toxicity on the prompt;
 * toxicity, refusal and preference on the output — on the bge-small encoder LangChain4j ships on
 * Maven Central; nothing is downloaded at run time.
 */
public final class ScanExample {

    private ScanExample() {
    }

    public static void main(String[] args) {
        String prompt = null;
        String output = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--prompt" -> prompt = value(args, ++i, "--prompt");
                case "--output" -> output = value(args, ++i, "--output");
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> fail("unknown argument '" + args[i] + "'");
            }
        }
        if (prompt == null) {
            fail("--prompt is required");
        }

        try (Guard guard = DefaultModels.guard()) {
            Verdict verdict = output == null ? guard.scanPrompt(prompt) : guard.scan(prompt, output);
            print(verdict, prompt, output);
        }
    }

    static void print(Verdict verdict, String prompt, String output) {
        for (ScanResult r : verdict.results()) {
            String text = r.stage() == dev.parapet.core.Stage.PROMPT ? prompt : output;
            System.out.printf(Locale.ROOT, "%-6s  %-10s  %-7s  score=%s  threshold=%s  label=%s  provider=%s  %dms%n",
                    r.stage().name().toLowerCase(Locale.ROOT), r.scanner(), r.decision(), fmt(r.score()), fmt(r.threshold()),
                    r.label(), r.attributes().getOrDefault("provider", "-"), r.latency().toMillis());
            if (r.attributes().containsKey("preference")) {
                System.out.println("        preference " + r.attributes().get("preference") + " (the chance this answer beats a typical one)");
            }
            for (Evidence e : r.evidence()) {
                System.out.printf(Locale.ROOT, "        evidence [%d, %d) %s: \"%s\"%n", e.start(), e.end(),
                        e.detail() == null ? "" : e.detail(), abbreviate(e.excerpt(text)));
            }
            if (r.errorMessage() != null) {
                System.out.println("        error: " + r.errorMessage());
            }
        }
        System.out.println(verdict.allowed() ? "verdict: ALLOWED"
                : "verdict: BLOCKED by " + verdict.firstBlocking().map(r -> r.scanner() + " on the " + r.stage().name().toLowerCase(Locale.ROOT)).orElse("?"));
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String abbreviate(String s) {
        String oneLine = s.replaceAll("\\s+", " ");
        return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            fail(flag + " needs a value");
        }
        return args[i];
    }

    private static void usage() {
        System.out.println("usage: ScanExample --prompt TEXT [--output TEXT]");
    }

    private static void fail(String message) {
        System.err.println("error: " + message);
        usage();
        throw new IllegalArgumentException(message);
    }
}
