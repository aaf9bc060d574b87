package dev.parapet.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.parapet.core.Guard;
import dev.parapet.core.Stage;

import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StreamingChatModel} that puts a {@link Guard} around another one and judges the stream
 * as it arrives, sentence by sentence, stopping it at the first sentence the guard blocks.
 *
 * <h2>One call</h2>
 * <ol>
 *   <li>The last user message is judged before the call, as in {@link GuardedChatModel}; a blocked
 *       prompt never reaches the delegate.</li>
 *   <li>Text deltas are collected and cut into sentences with {@link java.text.BreakIterator}
 *       ({@link java.util.Locale#ROOT}). Each completed sentence goes through
 *       {@link Guard#scanOutput(String, String)} once, with the prompt as context, and is only then
 *       forwarded, sanitized where a sanitizer rewrote it. So the handler's
 *       {@code onPartialResponse} receives whole sentences, not tokens: the price of never showing
 *       text the guard has not judged. The text after the last sentence end is judged when the
 *       stream completes; a sentence longer than {@link Builder#maxSentenceChars(int)} is judged in
 *       parts cut at spaces.</li>
 *   <li>On the first blocked sentence nothing more is forwarded, the delegate's stream is
 *       cancelled through its {@link StreamingHandle} (where the provider supports it; otherwise the
 *       rest is dropped), and the stream ends by {@link BlockMode}: {@link BlockMode#THROW} calls
 *       {@code onError} with a {@link GuardrailBlockedException} whose verdict judged that sentence
 *       (see {@link GuardrailBlockedException#textOffset()}); {@link BlockMode#REFUSE} forwards the
 *       refusal message as a last partial response and completes with a response whose text is
 *       everything forwarded, refusal included, finish reason {@code CONTENT_FILTER}.</li>
 *   <li>On completion the handler gets the delegate's response carrying exactly the forwarded
 *       text. A provider that streamed no text but put it in the final response has that text
 *       judged and forwarded the same way first.</li>
 * </ol>
 *
 * <p>In an AI service, use this model rather than (or besides) an output guardrail when the point
 * is to stop a stream early: LangChain4j holds back every token of a streaming AI-service method
 * that has output guardrails until the whole answer has passed them.
 *
 * <p>Scanners judge single sentences here. Detectors that need the whole answer (relevance to the
 * prompt, refusal of the whole request) fit {@link GuardedChatModel} or
 * {@link ParapetOutputGuardrail} better. Thinking text and tool calls are forwarded unjudged.
 * The guard runs on the thread that delivers the stream (the provider's I/O thread).
 *
 * <p>Delegation, listeners included, is as in {@link GuardedChatModel}. Immutable and thread-safe
 * when the delegate and the guard are; the guard is not closed by this model.
 */
public final class GuardedStreamingChatModel implements StreamingChatModel {
    private static final Logger log = LoggerFactory.getLogger(GuardedStreamingChatModel.class);

    /** Default for {@link Builder#maxSentenceChars(int)}. */
    public static final int DEFAULT_MAX_SENTENCE_CHARS = 2_000;

    private final StreamingChatModel delegate;
    private final Guard guard;
    private final BlockMode blockMode;
    private final String refusalMessage;
    private final boolean scanPrompt;
    private final int maxSentenceChars;

    private GuardedStreamingChatModel(Builder b) {
        this.delegate = b.delegate;
        this.guard = b.guard;
        this.blockMode = b.blockMode;
        this.refusalMessage = b.refusalMessage;
        this.scanPrompt = b.scanPrompt;
        this.maxSentenceChars = b.maxSentenceChars;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void chat(ChatRequest request, ChatRequestOptions options, StreamingChatResponseHandler handler) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        ScannedRequest scanned;
        try {
            scanned = ScannedRequest.scan(request, guard, scanPrompt);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        if (scanned.blocked() != null) {
            log.debug("prompt blocked before the streaming call: {}", scanned.blocked());
            if (blockMode == BlockMode.THROW) {
                handler.onError(new GuardrailBlockedException(scanned.blocked(), Stage.PROMPT));
            } else {
                handler.onPartialResponse(new PartialResponse(refusalMessage), new PartialResponseContext(new DoneHandle()));
                handler.onCompleteResponse(MessageTexts.refusal(refusalMessage, null));
            }
            return;
        }
        SentenceGate gate = new SentenceGate(handler, guard, scanned.prompt(), blockMode, refusalMessage, maxSentenceChars);
        delegate.chat(scanned.request(), options, gate);
    }

    /** Same as {@code chat(chatRequest, ChatRequestOptions.EMPTY, handler)}: the guarded path. */
    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        chat(chatRequest, ChatRequestOptions.EMPTY, handler);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return delegate.defaultRequestParameters();
    }

    /** Empty: the delegate fires its own listeners, once per call. */
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

    public StreamingChatModel delegate() {
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
        return "GuardedStreamingChatModel[delegate=" + delegate.getClass().getSimpleName() + ", blockMode=" + blockMode
                + ", scanPrompt=" + scanPrompt + ", maxSentenceChars=" + maxSentenceChars + "]";
    }

    /** A stream that is over before it started: there is nothing to cancel. */
    private static final class DoneHandle implements StreamingHandle {
        private volatile boolean cancelled;

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }

    /**
     * Configures a {@link GuardedStreamingChatModel}. {@link #delegate} and {@link #guard} are
     * required; setters reject bad values at once, naming the setting.
     */
    public static final class Builder {
        private StreamingChatModel delegate;
        private Guard guard;
        private BlockMode blockMode = BlockMode.THROW;
        private String refusalMessage = GuardedChatModel.DEFAULT_REFUSAL_MESSAGE;
        private boolean scanPrompt = true;
        private int maxSentenceChars = DEFAULT_MAX_SENTENCE_CHARS;

        private Builder() {
        }

        /** The streaming model to guard (required). */
        public Builder delegate(StreamingChatModel delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
            return this;
        }

        /** The guard whose scanners judge the prompt and each sentence (required; not closed by the model). */
        public Builder guard(Guard guard) {
            this.guard = Objects.requireNonNull(guard, "guard");
            return this;
        }

        /** How a blocked stream ends; default {@link BlockMode#THROW} ({@code onError}). */
        public Builder blockMode(BlockMode blockMode) {
            this.blockMode = Objects.requireNonNull(blockMode, "blockMode");
            return this;
        }

        /** The answer given on a block under {@link BlockMode#REFUSE}; default {@link GuardedChatModel#DEFAULT_REFUSAL_MESSAGE}. */
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

        /**
         * The longest text held back waiting for a sentence end (default
         * {@value GuardedStreamingChatModel#DEFAULT_MAX_SENTENCE_CHARS}): a longer run without one is judged and forwarded in
         * parts cut at spaces, which bounds both the delay and the work per delta.
         */
        public Builder maxSentenceChars(int maxSentenceChars) {
            if (maxSentenceChars < 16) {
                throw new IllegalArgumentException("maxSentenceChars must be >= 16, got " + maxSentenceChars);
            }
            this.maxSentenceChars = maxSentenceChars;
            return this;
        }

        /** @throws IllegalStateException if {@link #delegate} or {@link #guard} was not set */
        public GuardedStreamingChatModel build() {
            if (delegate == null) {
                throw new IllegalStateException("GuardedStreamingChatModel.builder().delegate(...) is required");
            }
            if (guard == null) {
                throw new IllegalStateException("GuardedStreamingChatModel.builder().guard(...) is required");
            }
            return new GuardedStreamingChatModel(this);
        }
    }
}
