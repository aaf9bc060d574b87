package dev.parapet.reliability;

import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;
import dev.parapet.models.DefaultModels;
import dev.parapet.reliability.HostileCorpus.Case;

import java.time.Duration;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Times every {@link HostileCorpus} case through {@code Guard.scan(text, text)} with the default
 * scanners, without and with a scanner timeout, and prints the table in docs/reliability.md.
 *
 * <pre>
 * mvn -o -q install -DskipTests -pl guard-reliability -am
 * mvn -o -q -pl guard-reliability exec:java -Dexec.mainClass=dev.parapet.reliability.HostileCorpusReport
 * </pre>
 * Options: {@code --timeout-ms N} (2000) for the bounded guard; {@code --full} also scans the
 * 1 MB case as prompt and output without a timeout (four encoder passes: many minutes on two
 * cores) instead of as a prompt only.
 */
public final class HostileCorpusReport {
    private HostileCorpusReport() {
    }

    public static void main(String[] args) {
        long timeoutMs = 2_000;
        boolean full = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--timeout-ms" -> timeoutMs = Long.parseLong(args[++i]);
                case "--full" -> full = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --timeout-ms N --full");
            }
        }
        System.out.printf(Locale.ROOT, "cores %d, max heap %d MiB%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        long loadStart = System.nanoTime();
        try (DefaultModels models = DefaultModels.load();
             Guard plain = Guards.defaults(models).build();
             Guard bounded = Guards.defaults(models).scannerTimeout(Duration.ofMillis(timeoutMs)).build()) {
            plain.scan("warm up", "warm up");
            System.out.printf(Locale.ROOT, "models loaded and warm in %d ms; RSS %d MiB, heap after GC %d MiB%n%n",
                    (System.nanoTime() - loadStart) / 1_000_000, Memory.rssKb() >> 10, Memory.heapAfterGc() >> 20);
            System.out.printf(Locale.ROOT, "| case | chars | no timeout: ms | outcome | timeout %d ms: ms | outcome | RSS after, MiB |%n", timeoutMs);
            System.out.println("|---|---:|---:|---|---:|---|---:|");
            int failures = 0;
            for (Case c : HostileCorpus.cases()) {
                String text = c.text().get();
                boolean promptOnly = c.heavy() && !full;
                Timed a = time(plain, text, promptOnly);
                Timed b = time(bounded, text, false);
                failures += a.failed ? 1 : 0;
                failures += b.failed ? 1 : 0;
                System.out.printf(Locale.ROOT, "| %s%s | %,d | %,d | %s | %,d | %s | %d |%n", c.name(), promptOnly ? " (prompt only)" : "",
                        text.length(), a.ms, a.outcome, b.ms, b.outcome, Memory.rssKb() >> 10);
            }
            System.out.printf(Locale.ROOT, "%n%d cases x 2 guards, %d exceptions; heap after GC %d MiB, RSS %d MiB%n",
                    HostileCorpus.cases().size(), failures, Memory.heapAfterGc() >> 20, Memory.rssKb() >> 10);
        }
    }

    private record Timed(long ms, String outcome, boolean failed) {
    }

    private static Timed time(Guard guard, String text, boolean promptOnly) {
        long start = System.nanoTime();
        try {
            Verdict v = promptOnly ? guard.scanPrompt(text) : guard.scan(text, text);
            long ms = (System.nanoTime() - start) / 1_000_000;
            String decisions = v.results().stream().map(HostileCorpusReport::brief).collect(Collectors.joining(" "));
            return new Timed(ms, (v.allowed() ? "allowed" : "blocked") + ": " + decisions, false);
        } catch (RuntimeException e) {
            long ms = (System.nanoTime() - start) / 1_000_000;
            return new Timed(ms, "EXCEPTION " + e.getClass().getSimpleName(), true);
        }
    }

    private static String brief(ScanResult r) {
        String d = switch (r.decision()) {
            case PASSED -> "P";
            case FLAGGED -> "F";
            case ERROR -> r.error() instanceof dev.parapet.core.ScanTimeoutException ? "T" : "E";
            case SKIPPED -> "S";
        };
        return r.scanner().equals("input-limits") ? "LIMIT" : d;
    }
}
