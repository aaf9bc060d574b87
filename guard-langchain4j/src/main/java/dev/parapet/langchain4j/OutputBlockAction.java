package dev.parapet.langchain4j;

import java.util.Objects;

/**
 * What {@link ParapetOutputGuardrail} asks LangChain4j to do with an answer the guard blocked.
 * Immutable.
 *
 * <ul>
 *   <li>{@link #fatal()}: give up; the AI service throws {@code OutputGuardrailException}. The
 *       default, and the only sensible answer to a toxic or leaking output.</li>
 *   <li>{@link #retry()}: call the model again with the same messages. For flaky, sampled answers.</li>
 *   <li>{@link #reprompt(String)}: call the model again with an extra user message (the
 *       instruction) after the conversation, e.g. for a refusal or a low preference score:
 *       "Please answer the question directly." LangChain4j adds neither the instruction nor the
 *       rejected answer to the chat memory.</li>
 * </ul>
 *
 * Retries and reprompts count against the AI service's {@code OutputGuardrailsConfig.maxRetries}
 * (LangChain4j's default: 2); when they are used up the service throws.
 */
public final class OutputBlockAction {

    /** The kinds of action, from LangChain4j's {@code OutputGuardrailResult} factories. */
    public enum Kind {
        /** {@code fatal(...)}: stop. */
        FATAL,
        /** {@code retry(...)}: ask again. */
        RETRY,
        /** {@code reprompt(...)}: ask again with an instruction. */
        REPROMPT
    }

    private static final OutputBlockAction FATAL = new OutputBlockAction(Kind.FATAL, null);
    private static final OutputBlockAction RETRY = new OutputBlockAction(Kind.RETRY, null);

    private final Kind kind;
    private final String reprompt;

    private OutputBlockAction(Kind kind, String reprompt) {
        this.kind = kind;
        this.reprompt = reprompt;
    }

    public static OutputBlockAction fatal() {
        return FATAL;
    }

    public static OutputBlockAction retry() {
        return RETRY;
    }

    /**
     * Ask again, appending {@code instruction} as a user message.
     *
     * @throws IllegalArgumentException if {@code instruction} is blank
     */
    public static OutputBlockAction reprompt(String instruction) {
        Objects.requireNonNull(instruction, "instruction");
        if (instruction.isBlank()) {
            throw new IllegalArgumentException("reprompt instruction must not be blank");
        }
        return new OutputBlockAction(Kind.REPROMPT, instruction);
    }

    public Kind kind() {
        return kind;
    }

    /** The instruction for {@link Kind#REPROMPT}, else {@code null}. */
    public String repromptInstruction() {
        return reprompt;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutputBlockAction that && kind == that.kind && Objects.equals(reprompt, that.reprompt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, reprompt);
    }

    @Override
    public String toString() {
        return kind == Kind.REPROMPT ? "REPROMPT(" + reprompt.length() + " chars)" : kind.name();
    }
}
