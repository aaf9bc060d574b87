package dev.parapet.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.GuardrailRequestParams;
import dev.langchain4j.guardrail.OutputGuardrail;
import dev.langchain4j.guardrail.OutputGuardrailRequest;
import dev.langchain4j.guardrail.OutputGuardrailResult;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.input.PromptTemplate;
import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LangChain4j {@link OutputGuardrail} backed by a Parapet {@link Guard}'s output stage.
 *
 * <pre>{@code
 * ParapetOutputGuardrail output = ParapetOutputGuardrail.builder()
 *         .guard(guard)
 *         .onBlock("refusal", OutputBlockAction.reprompt("Please answer the question directly."))
 *         .onBlock("preference", OutputBlockAction.retry())
 *         .build();   // anything else that blocks: fatal
 * AiServices.builder(Assistant.class).chatModel(model).outputGuardrails(output).build();
 * }</pre>
 *
 * <p>Register an <em>instance</em>, for the reason given in {@link ParapetInputGuardrail}.
 *
 * <h2>The prompt</h2>
 * Output scanners judge the answer with the prompt as context, and LangChain4j's output request
 * does not carry the prompt. It is recovered, first found wins, from: the last
 * {@link UserMessage} in the request's chat memory (what was sent, after input guardrails and
 * retrieval augmentation); the invocation context's user message; the AI-service method's user
 * message template rendered with its variables; else the empty string.
 *
 * <h2>Blocked answers</h2>
 * The answer's text goes through {@link Guard#scanOutput}. When the verdict blocks, each
 * {@link Decision#FLAGGED} result is mapped to the action registered for its scanner name with
 * {@link Builder#onBlock(String, OutputBlockAction)}, anything else (unmapped scanners, and
 * {@link Decision#ERROR} results under fail-closed) to the default action. Then: if any is
 * {@linkplain OutputBlockAction#fatal() fatal}, the result is fatal; otherwise the first
 * {@linkplain OutputBlockAction#reprompt(String) reprompt}, otherwise
 * {@linkplain OutputBlockAction#retry() retry}. A fatal result also removes the rejected answer
 * from the chat memory unless {@link Builder#removeBlockedOutputFromMemory(boolean)} says not to,
 * so a toxic answer is not fed back to the model on the next turn.
 *
 * <p>The AI service then throws LangChain4j's {@code OutputGuardrailException}; its cause (or,
 * once retries are used up, its {@code result().getFirstFailureException()}) is a
 * {@link GuardrailBlockedException} with the verdict: {@link GuardrailBlockedException#findIn}
 * looks in both places.
 *
 * <p>An allowed answer that a sanitizer rewrote is returned as
 * {@linkplain #successWith(AiMessage) success with the rewritten message} (tool calls kept). An
 * answer without text (tool calls only) passes. Thread-safe.
 */
public final class ParapetOutputGuardrail implements OutputGuardrail {
    private static final Logger log = LoggerFactory.getLogger(ParapetOutputGuardrail.class);

    private final Guard guard;
    private final OutputBlockAction defaultAction;
    private final Map<String, OutputBlockAction> actionsByScanner;
    private final boolean removeBlockedOutputFromMemory;

    private ParapetOutputGuardrail(Builder b) {
        this.guard = b.guard;
        this.defaultAction = b.defaultAction;
        this.actionsByScanner = Map.copyOf(b.actionsByScanner);
        this.removeBlockedOutputFromMemory = b.removeBlockedOutputFromMemory;
    }

    /** An output guardrail over {@code guard}'s output stage, fatal on every block. */
    public static ParapetOutputGuardrail of(Guard guard) {
        return builder().guard(guard).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public OutputGuardrailResult validate(OutputGuardrailRequest request) {
        Objects.requireNonNull(request, "request");
        AiMessage answer = request.responseFromLLM().aiMessage();
        String output = answer == null ? null : answer.text();
        if (output == null) {
            return success();
        }
        String prompt = promptOf(request.requestParams());
        Verdict verdict = guard.scanOutput(prompt, output);
        if (verdict.blocked()) {
            OutputBlockAction action = actionFor(verdict);
            log.debug("output guardrail blocked ({}): {}", action.kind(), verdict);
            GuardrailBlockedException blocked = new GuardrailBlockedException(verdict, Stage.OUTPUT);
            String message = blocked.getMessage();
            return switch (action.kind()) {
                case FATAL -> removeBlockedOutputFromMemory ? fatalWithMessageRemoval(message, blocked) : fatal(message, blocked);
                case RETRY -> retry(message, blocked);
                case REPROMPT -> reprompt(message, blocked, action.repromptInstruction());
            };
        }
        String sanitized = verdict.sanitizedOutput();
        return sanitized == null || sanitized.equals(output) ? success() : successWith(answer.withText(sanitized));
    }

    /** The action for a blocked verdict, as described in the class comment. */
    OutputBlockAction actionFor(Verdict verdict) {
        OutputBlockAction chosen = null;
        for (ScanResult r : verdict.blockingResults()) {
            OutputBlockAction a = r.decision() == Decision.FLAGGED
                    ? actionsByScanner.getOrDefault(r.scanner(), defaultAction)
                    : defaultAction;
            if (a.kind() == OutputBlockAction.Kind.FATAL) {
                return a;
            }
            if (chosen == null || (chosen.kind() == OutputBlockAction.Kind.RETRY && a.kind() == OutputBlockAction.Kind.REPROMPT)) {
                chosen = a;
            }
        }
        return chosen == null ? defaultAction : chosen;
    }

    /** The prompt the answer replies to, recovered as described in the class comment; never null. */
    static String promptOf(GuardrailRequestParams params) {
        if (params == null) {
            return "";
        }
        ChatMemory memory = params.chatMemory();
        if (memory != null) {
            List<ChatMessage> messages = memory.messages();
            int i = MessageTexts.lastUserMessageIndex(messages);
            String text = i < 0 ? null : MessageTexts.textOf((UserMessage) messages.get(i));
            if (text != null) {
                return text;
            }
        }
        InvocationContext context = params.invocationContext();
        if (context != null && context.userMessage() != null) {
            String text = MessageTexts.textOf(context.userMessage());
            if (text != null) {
                return text;
            }
        }
        String template = params.userMessageTemplate();
        if (template != null && !template.isBlank()) {
            try {
                return PromptTemplate.from(template).apply(params.variables()).text();
            } catch (RuntimeException e) {
                // A template that does not render (a variable missing) leaves no prompt to recover.
                log.debug("user message template did not render: {}", e.getClass().getName());
            }
        }
        return "";
    }

    public Guard guard() {
        return guard;
    }

    @Override
    public String name() {
        return "parapet-output";
    }

    @Override
    public String toString() {
        return "ParapetOutputGuardrail[default=" + defaultAction + ", byScanner=" + actionsByScanner
                + ", removeBlockedOutputFromMemory=" + removeBlockedOutputFromMemory + ", " + guard + "]";
    }

    /** Configures a {@link ParapetOutputGuardrail}; {@link #guard} is required. */
    public static final class Builder {
        private Guard guard;
        private OutputBlockAction defaultAction = OutputBlockAction.fatal();
        private final Map<String, OutputBlockAction> actionsByScanner = new LinkedHashMap<>();
        private boolean removeBlockedOutputFromMemory = true;

        private Builder() {
        }

        /** The guard whose output stage judges answers (required; shared, not closed by the guardrail). */
        public Builder guard(Guard guard) {
            this.guard = Objects.requireNonNull(guard, "guard");
            return this;
        }

        /** The action for blocks no scanner-specific action covers; default {@link OutputBlockAction#fatal()}. */
        public Builder onBlock(OutputBlockAction action) {
            this.defaultAction = Objects.requireNonNull(action, "action");
            return this;
        }

        /**
         * The action when the scanner named {@code scannerName} ({@link dev.parapet.core.Scanner#name()})
         * flags the answer, e.g. {@code onBlock("refusal", OutputBlockAction.reprompt("..."))}.
         */
        public Builder onBlock(String scannerName, OutputBlockAction action) {
            Objects.requireNonNull(scannerName, "scannerName");
            if (scannerName.isBlank()) {
                throw new IllegalArgumentException("onBlock scannerName must not be blank");
            }
            actionsByScanner.put(scannerName, Objects.requireNonNull(action, "action"));
            return this;
        }

        /** Whether a fatal block removes the rejected answer from the chat memory (default {@code true}). */
        public Builder removeBlockedOutputFromMemory(boolean removeBlockedOutputFromMemory) {
            this.removeBlockedOutputFromMemory = removeBlockedOutputFromMemory;
            return this;
        }

        /** @throws IllegalStateException if {@link #guard} was not set */
        public ParapetOutputGuardrail build() {
            if (guard == null) {
                throw new IllegalStateException("ParapetOutputGuardrail.builder().guard(...) is required");
            }
            return new ParapetOutputGuardrail(this);
        }
    }
}
