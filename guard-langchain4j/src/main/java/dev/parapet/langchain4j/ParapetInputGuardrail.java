package dev.parapet.langchain4j;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.InputGuardrail;
import dev.langchain4j.guardrail.InputGuardrailRequest;
import dev.langchain4j.guardrail.InputGuardrailResult;
import dev.parapet.core.Guard;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;

import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LangChain4j {@link InputGuardrail} backed by a Parapet {@link Guard}'s prompt stage.
 *
 * <pre>{@code
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .chatModel(model)
 *         .inputGuardrails(ParapetInputGuardrail.of(guard))
 *         .outputGuardrails(ParapetOutputGuardrail.of(guard))
 *         .build();
 * }</pre>
 *
 * <p>Register an <em>instance</em> ({@code inputGuardrails(...)}): registering the class
 * ({@code inputGuardrailClasses(...)}, {@code @InputGuardrails}) makes LangChain4j build one per
 * AI-service method through a no-argument constructor, which this class does not have, since the
 * guard (and its models) must be built once and shared.
 *
 * <p>The user message's text (text parts joined by a newline) goes through
 * {@link Guard#scanPrompt}. Blocked: a {@linkplain #fatal(String, Throwable) fatal} result, so no
 * later input guardrail runs and the model is not called; the AI service throws LangChain4j's
 * {@code InputGuardrailException} whose cause is a {@link GuardrailBlockedException} carrying the
 * verdict ({@link GuardrailBlockedException#findIn(Throwable)}). Allowed with a sanitized prompt:
 * {@linkplain #successWith(String) success with the sanitized text}, which LangChain4j sends and
 * stores instead. A message without text passes. A message with several text parts that a
 * sanitizer rewrote is blocked: LangChain4j would put the one rewritten text into every part.
 *
 * <p>The failure message names the blocking scanners, never the prompt. Thread-safe.
 */
public final class ParapetInputGuardrail implements InputGuardrail {
    private static final Logger log = LoggerFactory.getLogger(ParapetInputGuardrail.class);

    private final Guard guard;

    private ParapetInputGuardrail(Guard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    /** An input guardrail over {@code guard}'s prompt stage; share it across AI services. */
    public static ParapetInputGuardrail of(Guard guard) {
        return new ParapetInputGuardrail(guard);
    }

    @Override
    public InputGuardrailResult validate(InputGuardrailRequest request) {
        Objects.requireNonNull(request, "request");
        return validate(request.userMessage());
    }

    @Override
    public InputGuardrailResult validate(UserMessage userMessage) {
        String prompt = userMessage == null ? null : MessageTexts.textOf(userMessage);
        if (prompt == null) {
            return success();
        }
        Verdict verdict = guard.scanPrompt(prompt);
        if (verdict.blocked()) {
            log.debug("input guardrail blocked: {}", verdict);
            GuardrailBlockedException blocked = new GuardrailBlockedException(verdict, Stage.PROMPT);
            return fatal(blocked.getMessage(), blocked);
        }
        String sanitized = verdict.sanitizedPrompt();
        if (sanitized.equals(prompt)) {
            return success();
        }
        if (MessageTexts.textParts(userMessage) > 1) {
            return fatal("Parapet sanitized a user message with " + MessageTexts.textParts(userMessage)
                    + " text parts; LangChain4j can only rewrite it by repeating the sanitized text in each part, "
                    + "so it is blocked. Send one text part, or use GuardedChatModel, which rewrites such messages.");
        }
        return successWith(sanitized);
    }

    public Guard guard() {
        return guard;
    }

    @Override
    public String name() {
        return "parapet-input";
    }

    @Override
    public String toString() {
        return "ParapetInputGuardrail[" + guard + "]";
    }
}
