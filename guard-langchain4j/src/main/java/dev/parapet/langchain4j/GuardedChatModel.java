package dev.parapet.langchain4j;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.parapet.core.Guard;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;

import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ChatModel} that puts a {@link Guard} around another one: the prompt is scanned before
 * the call and the answer after it.
 *
 * <pre>{@code
 * ChatModel model = GuardedChatModel.builder()
 *         .delegate(OpenAiChatModel.builder()...build())
 *         .guard(guard)
 *         .blockMode(BlockMode.REFUSE)
 *         .refusalMessage("Sorry, I can't help with that.")
 *         .build();
 * }</pre>
 *
 * <h2>One call</h2>
 * <ol>
 *   <li>The text of the <em>last</em> {@link UserMessage} of the request (its text parts joined by
 *       a newline) goes through {@link Guard#scanPrompt}. Earlier messages, system messages and
 *       tool results are not judged: they were judged when they were new, or are the application's
 *       own. A request without user text skips this step.</li>
 *   <li>Blocked: the delegate is never called; see {@link BlockMode}. Allowed with a sanitized
 *       prompt: the request sent on carries the sanitized text in place of that message's text.</li>
 *   <li>The delegate answers; its text goes through {@link Guard#scanOutput} with the prompt that
 *       was sent as context. Together the two calls run the same scanners as
 *       {@link Guard#scan(String, String)}, without judging the prompt twice. An answer without
 *       text (tool calls only) is passed through unjudged.</li>
 *   <li>Blocked: {@link BlockMode}. Allowed with a sanitized output: the response carries it.</li>
 * </ol>
 *
 * <h2>Delegation</h2>
 * {@link #defaultRequestParameters()}, {@link #provider()} and {@link #supportedCapabilities()} are
 * the delegate's. {@link #listeners()} is empty on purpose: {@code chat} hands the request and the
 * {@link ChatRequestOptions} (listener attributes included) to the delegate, whose own
 * {@code chat} fires its listeners once; reporting them here too would let a caller fire them twice.
 * A call the guard blocks before the model reaches no listener.
 *
 * <p>Immutable and thread-safe when the delegate and the guard are. The guard is not closed by
 * this model.
 */
public final class GuardedChatModel implements ChatModel {
    private static final Logger log = LoggerFactory.getLogger(GuardedChatModel.class);

    /** The refusal used with {@link BlockMode#REFUSE} when none is configured. */
    public static final String DEFAULT_REFUSAL_MESSAGE = "Sorry, I can't help with that request.";

    private final ChatModel delegate;
    private final Guard guard;
    private final BlockMode blockMode;
    private final String refusalMessage;
    private final boolean scanPrompt;
    private final boolean scanOutput;

    private GuardedChatModel(Builder b) {
        this.delegate = b.delegate;
        this.guard = b.guard;
        this.blockMode = b.blockMode;
        this.refusalMessage = b.refusalMessage;
        this.scanPrompt = b.scanPrompt;
        this.scanOutput = b.scanOutput;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse chat(ChatRequest chatRequest, ChatRequestOptions options) {
        Objects.requireNonNull(chatRequest, "chatRequest");
        ScannedRequest scanned = ScannedRequest.scan(chatRequest, guard, scanPrompt);
        if (scanned.blocked() != null) {
            log.debug("prompt blocked before the model call: {}", scanned.blocked());
            return blocked(scanned.blocked(), Stage.PROMPT, null);
        }

        ChatResponse response = delegate.chat(scanned.request(), options);

        String output = response == null || response.aiMessage() == null ? null : response.aiMessage().text();
        if (output == null || !scanOutput) {
            return response;
        }
        Verdict after = guard.scanOutput(scanned.prompt(), output);
        if (after.blocked()) {
            log.debug("output blocked after the model call: {}", after);
            return blocked(after, Stage.OUTPUT, response);
        }
        String sanitized = after.sanitizedOutput();
        return sanitized == null || sanitized.equals(output) ? response : MessageTexts.withText(response, sanitized);
    }

    private ChatResponse blocked(Verdict verdict, Stage stage, ChatResponse original) {
        if (blockMode == BlockMode.THROW) {
            throw new GuardrailBlockedException(verdict, stage);
        }
        return MessageTexts.refusal(refusalMessage, original);
    }

    /** Same as {@code chat(chatRequest, ChatRequestOptions.EMPTY)}: the guarded path, never the bare delegate. */
    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        return chat(chatRequest, ChatRequestOptions.EMPTY);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return delegate.defaultRequestParameters();
    }

    /** Empty: the delegate fires its own listeners, once per call (see the class comment). */
    @Override
    public List<ChatModelListener> listeners() {
        return List.of();
    }

    @Override
    public ModelProvider provider() {
        return delegate.provider();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return delegate.supportedCapabilities();
    }

    /** The model this one guards. */
    public ChatModel delegate() {
        return delegate;
    }

    public Guard guard() {
        return guard;
    }

    public BlockMode blockMode() {
        return blockMode;
    }

    @Override
    public String toString() {
        return "GuardedChatModel[delegate=" + delegate.getClass().getSimpleName() + ", blockMode=" + blockMode
                + ", scanPrompt=" + scanPrompt + ", scanOutput=" + scanOutput + "]";
    }

    /**
     * Configures a {@link GuardedChatModel}. {@link #delegate} and {@link #guard} are required;
     * setters reject {@code null} at once with a {@link NullPointerException} naming the setting.
     */
    public static final class Builder {
        private ChatModel delegate;
        private Guard guard;
        private BlockMode blockMode = BlockMode.THROW;
        private String refusalMessage = DEFAULT_REFUSAL_MESSAGE;
        private boolean scanPrompt = true;
        private boolean scanOutput = true;

        private Builder() {
        }

        /** The model to guard (required). */
        public Builder delegate(ChatModel delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
            return this;
        }

        /** The guard whose scanners judge prompts and outputs (required; shared, not closed by the model). */
        public Builder guard(Guard guard) {
            this.guard = Objects.requireNonNull(guard, "guard");
            return this;
        }

        /** What a block does; default {@link BlockMode#THROW}. */
        public Builder blockMode(BlockMode blockMode) {
            this.blockMode = Objects.requireNonNull(blockMode, "blockMode");
            return this;
        }

        /** The answer given on a block under {@link BlockMode#REFUSE}; default {@link #DEFAULT_REFUSAL_MESSAGE}. */
        public Builder refusalMessage(String refusalMessage) {
            Objects.requireNonNull(refusalMessage, "refusalMessage");
            if (refusalMessage.isBlank()) {
                throw new IllegalArgumentException("refusalMessage must not be blank");
            }
            this.refusalMessage = refusalMessage;
            return this;
        }

        /** Whether to judge the prompt before the call (default {@code true}). */
        public Builder scanPrompt(boolean scanPrompt) {
            this.scanPrompt = scanPrompt;
            return this;
        }

        /** Whether to judge the answer after the call (default {@code true}). */
        public Builder scanOutput(boolean scanOutput) {
            this.scanOutput = scanOutput;
            return this;
        }

        /** @throws IllegalStateException if {@link #delegate} or {@link #guard} was not set */
        public GuardedChatModel build() {
            if (delegate == null) {
                throw new IllegalStateException("GuardedChatModel.builder().delegate(...) is required");
            }
            if (guard == null) {
                throw new IllegalStateException("GuardedChatModel.builder().guard(...) is required");
            }
            return new GuardedChatModel(this);
        }
    }
}
