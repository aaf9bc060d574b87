package dev.parapet.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One exchange while a guard call is under way: the texts as the sanitizers left them so far, one
 * result slot per scanner, and whether anything has blocked it yet.
 *
 * <p>Confinement, not locks: texts change only while sanitizers run, which is sequential on the
 * calling thread; during the parallel detector phase each task writes only its own slot in the
 * result arrays, and the calling thread reads them after the tasks' latches have published them.
 * {@link #blocked} is read across tasks (for {@code failFast}), hence volatile.
 */
final class PendingVerdict {
    private final boolean runsPrompt;
    private final boolean runsOutput;
    private String prompt;
    private String output;
    private final ScanResult[] promptResults;
    private final ScanResult[] outputResults;
    private final List<ScanResult> promptLimitResults = new ArrayList<>(1);
    private final List<ScanResult> outputLimitResults = new ArrayList<>(1);
    private boolean promptWithinLimits = true;
    private boolean outputWithinLimits = true;
    private volatile boolean blocked;

    PendingVerdict(String prompt, String output, boolean runsPrompt, boolean runsOutput,
                   int promptScanners, int outputScanners) {
        this.prompt = prompt;
        this.output = output;
        this.runsPrompt = runsPrompt;
        this.runsOutput = runsOutput;
        this.promptResults = new ScanResult[runsPrompt ? promptScanners : 0];
        this.outputResults = new ScanResult[runsOutput ? outputScanners : 0];
    }

    boolean runs(Stage stage) {
        return stage == Stage.PROMPT ? runsPrompt : runsOutput;
    }

    /**
     * Applies the limits before any scanner sees a text. Output-stage scanners read the prompt as
     * context, so an over-long prompt keeps them from running as well; a call without a prompt stage
     * reports that under the output stage, since that is the stage it stopped.
     */
    /** The prompt when both stages run and it is within limits (for Scanner.prefetch); else null. */
    String promptForPrefetch() {
        return runsPrompt && runsOutput && promptWithinLimits ? prompt : null;
    }

    /** The output when both stages run and it is within limits (for Scanner.prefetch); else null. */
    String outputForPrefetch() {
        return runsPrompt && runsOutput && outputWithinLimits ? output : null;
    }

    void applyLimits(InputLimits limits) {
        if (runsPrompt) {
            String message = limits.checkPrompt(prompt);
            if (message != null) {
                promptLimitResults.add(limitResult(Stage.PROMPT, InputLimits.PROMPT_LABEL, limits.maxPromptChars(),
                        prompt.length(), message));
                promptWithinLimits = false;
                outputWithinLimits = false;
            }
        }
        if (runsOutput) {
            if (!runsPrompt) {
                String message = limits.checkPrompt(prompt);
                if (message != null) {
                    outputLimitResults.add(limitResult(Stage.OUTPUT, InputLimits.PROMPT_LABEL,
                            limits.maxPromptChars(), prompt.length(), message));
                    outputWithinLimits = false;
                }
            }
            String message = limits.checkOutput(output);
            if (message != null) {
                outputLimitResults.add(limitResult(Stage.OUTPUT, InputLimits.OUTPUT_LABEL, limits.maxOutputChars(),
                        output.length(), message));
                outputWithinLimits = false;
            }
        }
        if (!promptLimitResults.isEmpty() || !outputLimitResults.isEmpty()) {
            blocked = true;
        }
    }

    private static ScanResult limitResult(Stage stage, String label, int limit, int actual, String message) {
        return ScanResult.builder(InputLimits.SCANNER_NAME, stage)
                .decision(Decision.FLAGGED)
                .label(label)
                // The evidence is the part past the limit, in the text the label names.
                .evidence(new Evidence(limit, actual, label, Double.NaN, message))
                .attribute("limit", Integer.toString(limit))
                .attribute("actual", Integer.toString(actual))
                .attribute("message", message)
                .build();
    }

    /** Whether the scanners of {@code stage} may see this exchange's texts. */
    boolean withinLimits(Stage stage) {
        return stage == Stage.PROMPT ? promptWithinLimits : outputWithinLimits;
    }

    ScanInput input(Stage stage) {
        return stage == Stage.PROMPT ? ScanInput.prompt(prompt) : ScanInput.output(prompt, output);
    }

    void text(Stage stage, String text) {
        if (stage == Stage.PROMPT) {
            prompt = text;
        } else {
            output = text;
        }
    }

    ScanResult[] results(Stage stage) {
        return stage == Stage.PROMPT ? promptResults : outputResults;
    }

    boolean blocked() {
        return blocked;
    }

    void markBlocked() {
        blocked = true;
    }

    Verdict toVerdict(FailurePolicy policy, Duration latency) {
        List<ScanResult> all = new ArrayList<>(
                promptLimitResults.size() + promptResults.length + outputLimitResults.size() + outputResults.length);
        all.addAll(promptLimitResults);
        all.addAll(List.of(promptResults));
        all.addAll(outputLimitResults);
        all.addAll(List.of(outputResults));
        return new Verdict(all, policy, prompt, runsOutput ? output : null, latency);
    }
}
