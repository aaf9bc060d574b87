package dev.parapet.langchain4j;

import dev.langchain4j.guardrail.OutputGuardrailException;
import dev.parapet.core.ParapetException;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;

import java.util.Locale;
import java.util.Objects;

/**
 * Thrown (or, for streams, passed to {@code onError}) when a {@link dev.parapet.core.Guard} blocked
 * a prompt or an output on its way through a LangChain4j model or AI service. Carries the
 * {@link Verdict}, so a caller can see which scanner fired, with which label, score and evidence.
 *
 * <p>The message names the blocking scanners and their results but never the prompt or output text
 * (built from {@link ScanResult#toString()}, which omits it), so the exception may be logged.
 * Caveat: a scanner's {@link ScanResult#errorMessage()} is part of it, and a failing
 * {@link LlmJudgeScanner} puts the start of the judge's answer there.
 *
 * <p>Inside an AI service, LangChain4j wraps guardrail failures in its own
 * {@code InputGuardrailException} / {@code OutputGuardrailException}; this exception is then their
 * {@link #getCause() cause}, see {@link #findIn(Throwable)}.
 */
public class GuardrailBlockedException extends ParapetException {
    private static final long serialVersionUID = 1L;

    private final transient Verdict verdict;
    private final Stage stage;
    private final int textOffset;

    /**
     * @param verdict the blocked verdict
     * @param stage   which side was blocked: {@link Stage#PROMPT} before the model call, {@link Stage#OUTPUT} after
     */
    public GuardrailBlockedException(Verdict verdict, Stage stage) {
        this(verdict, stage, 0);
    }

    /**
     * @param verdict    the blocked verdict
     * @param stage      which side was blocked
     * @param textOffset where the judged text starts in the whole text of that side (UTF-16 index):
     *                   0, except for a stream, where each sentence is judged on its own
     */
    public GuardrailBlockedException(Verdict verdict, Stage stage, int textOffset) {
        super(messageFor(verdict, stage));
        if (textOffset < 0) {
            throw new IllegalArgumentException("textOffset must be >= 0, got " + textOffset);
        }
        this.verdict = verdict;
        this.stage = stage;
        this.textOffset = textOffset;
    }

    private static String messageFor(Verdict verdict, Stage stage) {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(stage, "stage");
        StringBuilder s = new StringBuilder("Parapet blocked the ")
                .append(stage.name().toLowerCase(Locale.ROOT)).append(": ");
        if (verdict.blockingResults().isEmpty()) {
            return s.append("no blocking result (").append(verdict).append(')').toString();
        }
        for (int i = 0; i < verdict.blockingResults().size(); i++) {
            s.append(i == 0 ? "" : "; ").append(verdict.blockingResults().get(i));
        }
        return s.toString();
    }

    /** The guard's verdict; {@link Verdict#blocked()} is true. */
    public Verdict verdict() {
        return verdict;
    }

    /** The side that was blocked: {@link Stage#PROMPT} (the model was not called) or {@link Stage#OUTPUT}. */
    public Stage stage() {
        return stage;
    }

    /**
     * Where the text the verdict judged starts in the whole prompt or output, as a UTF-16 index: 0,
     * except when {@link GuardedStreamingChatModel} blocked a stream, where the verdict judged one
     * sentence and its {@link dev.parapet.core.Evidence} offsets count from the start of that
     * sentence; add this offset to place them in the streamed output.
     */
    public int textOffset() {
        return textOffset;
    }

    /**
     * This exception found in {@code error} or its chain of causes (or in the result of an
     * {@code OutputGuardrailException} thrown after the retries ran out), or {@code null}: how to get
     * at the verdict from LangChain4j's {@code GuardrailException}s or an AI service's wrapped errors.
     */
    public static GuardrailBlockedException findIn(Throwable error) {
        // Bounded: a cause chain with a cycle must not loop forever.
        Throwable t = error;
        for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
            if (t instanceof GuardrailBlockedException blocked) {
                return blocked;
            }
            // Once an AI service's retries are used up, LangChain4j throws without a cause and keeps
            // the failures (with our exception) in the result.
            if (t instanceof OutputGuardrailException e && e.result() != null
                    && e.result().getFirstFailureException() instanceof GuardrailBlockedException blocked) {
                return blocked;
            }
        }
        return null;
    }
}
