package dev.parapet.cli;

import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one scanner over many inputs: in batches through {@link Scanner#scanAll} (model scanners
 * batch their ONNX runs), or one call per input on a few threads at once (judges).
 */
final class Scoring {
    /**
     * What came back.
     *
     * @param scores    per input the result's score; NaN where the scanner failed or gave none
     * @param threshold the threshold the scanner reported (NaN when none did)
     * @param errors    inputs whose result was an ERROR or had no score
     */
    record Scores(double[] scores, double threshold, int errors, String firstError, String provider, String label, double seconds) {
    }

    private Scoring() {
    }

    static Scores run(Scanner scanner, List<ScanInput> inputs, int batchSize, int concurrency, Progress progress) {
        long start = System.nanoTime();
        List<ScanResult> results = concurrency > 1 ? parallel(scanner, inputs, concurrency, progress) : batched(scanner, inputs, batchSize, progress);
        double[] scores = new double[inputs.size()];
        double threshold = Double.NaN;
        int errors = 0;
        String firstError = null;
        String provider = null;
        String label = null;
        for (int i = 0; i < scores.length; i++) {
            ScanResult r = results.get(i);
            boolean failed = r.decision() == Decision.ERROR || r.decision() == Decision.SKIPPED || Double.isNaN(r.score());
            scores[i] = failed ? Double.NaN : r.score();
            if (failed) {
                errors++;
                if (firstError == null) {
                    firstError = r.errorMessage() != null ? r.errorMessage()
                            : r.attributes().containsKey("blank") ? "blank text (not scored)" : "no score (" + r.decision() + ")";
                }
            }
            if (Double.isNaN(threshold) && !Double.isNaN(r.threshold())) {
                threshold = r.threshold();
            }
            if (provider == null) {
                provider = r.attributes().get("provider");
            }
            if (label == null) {
                label = r.label();
            }
        }
        return new Scores(scores, threshold, errors, firstError, provider, label, (System.nanoTime() - start) / 1e9);
    }

    private static List<ScanResult> batched(Scanner scanner, List<ScanInput> inputs, int batchSize, Progress progress) {
        List<ScanResult> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i += batchSize) {
            List<ScanInput> batch = inputs.subList(i, Math.min(inputs.size(), i + batchSize));
            List<ScanResult> got = scanner.scanAll(batch);
            if (got == null || got.size() != batch.size()) {
                throw new IllegalStateException("scanner '" + scanner.name() + "' returned " + (got == null ? "null" : got.size() + " results")
                        + " for " + batch.size() + " inputs");
            }
            out.addAll(got);
            progress.step(batch.size());
        }
        return out;
    }

    private static List<ScanResult> parallel(Scanner scanner, List<ScanInput> inputs, int concurrency, Progress progress) {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "parapet-eval");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ScanResult>> futures = new ArrayList<>(inputs.size());
            for (ScanInput in : inputs) {
                futures.add(pool.submit(() -> {
                    ScanResult r = scanner.scan(in);
                    progress.step();
                    return r;
                }));
            }
            List<ScanResult> out = new ArrayList<>(inputs.size());
            for (Future<ScanResult> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", ExitCodes.INTERNAL, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
        } finally {
            pool.shutdownNow();
        }
    }
}
