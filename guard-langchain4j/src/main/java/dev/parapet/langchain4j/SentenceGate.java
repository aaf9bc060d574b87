package dev.parapet.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.parapet.core.Guard;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;

import java.text.BreakIterator;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands between a streaming model and the caller's handler for one call: collects the text
 * deltas, cuts completed sentences, has the guard judge each once, and forwards only judged text.
 * On the first block it cancels the upstream stream and ends the caller's stream (error or refusal).
 *
 * <p>Work stays linear in the output: each character is judged once (in its sentence), and the
 * sentence iterator runs only on deltas that may complete a sentence (a terminator in the delta,
 * or one waiting at the end of the pending text for the next character to confirm it), over the
 * pending text only, which {@code maxSentenceChars} bounds.
 *
 * <p>Callbacks from the upstream are serialized with this object's lock; a provider calls them
 * from one thread anyway.
 */
final class SentenceGate implements StreamingChatResponseHandler {
    private static final Logger log = LoggerFactory.getLogger(SentenceGate.class);

    private final StreamingChatResponseHandler downstream;
    private final Guard guard;
    private final String prompt;
    private final BlockMode blockMode;
    private final String refusalMessage;
    private final int maxSentenceChars;

    private final BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
    /** Text received and not yet judged: the sentence in progress. */
    private final StringBuilder pending = new StringBuilder();
    /** Text judged and forwarded, i.e. what the caller has seen. */
    private final StringBuilder released = new StringBuilder();
    /** UTF-16 offset of {@link #pending} in the whole upstream output. */
    private int pendingOffset;
    private boolean awaitingConfirmation;
    private boolean receivedText;
    private boolean done;
    private volatile StreamingHandle upstream;
    private final GateHandle handle = new GateHandle();

    SentenceGate(StreamingChatResponseHandler downstream, Guard guard, String prompt, BlockMode blockMode,
                 String refusalMessage, int maxSentenceChars) {
        this.downstream = downstream;
        this.guard = guard;
        this.prompt = prompt;
        this.blockMode = blockMode;
        this.refusalMessage = refusalMessage;
        this.maxSentenceChars = maxSentenceChars;
    }

    @Override
    public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
        if (context != null) {
            upstream = context.streamingHandle();
        }
        accept(partialResponse.text());
    }

    @Override
    public void onPartialResponse(String partialResponse) {
        accept(partialResponse);
    }

    private synchronized void accept(String delta) {
        if (done) {
            cancelUpstream();
            return;
        }
        if (delta == null || delta.isEmpty()) {
            return;
        }
        receivedText = true;
        pending.append(delta);
        if (awaitingConfirmation || hasTerminator(delta) || pending.length() > maxSentenceChars) {
            drain(false);
        }
    }

    @Override
    public synchronized void onCompleteResponse(ChatResponse completeResponse) {
        if (done) {
            return;
        }
        String text = completeResponse == null || completeResponse.aiMessage() == null
                ? null : completeResponse.aiMessage().text();
        if (!receivedText && text != null) {
            // A provider that streamed nothing and put the whole answer in the final response: judge it
            // the same way, sentence by sentence, before anything reaches the caller.
            pending.append(text);
        }
        drain(true);
        if (done) {
            return;
        }
        done = true;
        String judged = released.toString();
        // The caller gets exactly the text that was judged and forwarded (sanitized where a sanitizer
        // rewrote a sentence), never an unjudged text a provider put only into the final response.
        ChatResponse response = completeResponse == null || (text == null && judged.isEmpty()) || judged.equals(text)
                ? completeResponse
                : MessageTexts.withText(completeResponse, judged);
        downstream.onCompleteResponse(response);
    }

    @Override
    public synchronized void onError(Throwable error) {
        if (done) {
            return;
        }
        done = true;
        downstream.onError(error);
    }

    /** Judges and forwards the completed sentences of {@link #pending}; at the end, all of it. */
    private void drain(boolean atEnd) {
        int length = pending.length();
        if (length == 0) {
            awaitingConfirmation = false;
            return;
        }
        String text = pending.toString();
        sentences.setText(text);
        int start = sentences.first();
        int consumed = 0;
        for (int end = sentences.next(); end != BreakIterator.DONE; end = sentences.next()) {
            // The last segment may still grow unless the stream has ended.
            if (end == length && !atEnd) {
                break;
            }
            if (!pass(text.substring(start, end), pendingOffset + start)) {
                return;
            }
            consumed = end;
            start = end;
        }
        // A sentence longer than the limit is cut at its last space (or at the limit) and judged in parts.
        while (!atEnd && length - consumed > maxSentenceChars) {
            int cut = cutPoint(text, consumed, consumed + maxSentenceChars);
            if (!pass(text.substring(consumed, cut), pendingOffset + consumed)) {
                return;
            }
            consumed = cut;
        }
        pending.delete(0, consumed);
        pendingOffset += consumed;
        awaitingConfirmation = endsWithTerminator(pending);
    }

    /** Judges one sentence and forwards it; false when it was blocked (and the stream ended). */
    private boolean pass(String sentence, int offset) {
        if (sentence.isBlank()) {
            forward(sentence);
            return true;
        }
        Verdict verdict;
        try {
            verdict = guard.scanOutput(prompt, sentence);
        } catch (RuntimeException e) {
            // The guard throws only for caller errors (e.g. closed); end the stream rather than leak unjudged text.
            done = true;
            cancelUpstream();
            downstream.onError(e);
            return false;
        }
        if (verdict.blocked()) {
            log.debug("stream blocked at offset {}: {}", offset, verdict);
            block(verdict, offset);
            return false;
        }
        String sanitized = verdict.sanitizedOutput();
        forward(sanitized == null ? sentence : sanitized);
        return true;
    }

    private void forward(String text) {
        if (text.isEmpty()) {
            return;
        }
        released.append(text);
        downstream.onPartialResponse(new PartialResponse(text), new PartialResponseContext(handle));
    }

    private void block(Verdict verdict, int offset) {
        done = true;
        cancelUpstream();
        if (blockMode == BlockMode.THROW) {
            downstream.onError(new GuardrailBlockedException(verdict, Stage.OUTPUT, offset));
            return;
        }
        boolean needsSpace = released.length() > 0 && !Character.isWhitespace(released.charAt(released.length() - 1));
        forward(needsSpace ? " " + refusalMessage : refusalMessage);
        downstream.onCompleteResponse(MessageTexts.refusal(released.toString(), null));
    }

    private void cancelUpstream() {
        StreamingHandle h = upstream;
        if (h != null && !h.isCancelled()) {
            try {
                h.cancel();
            } catch (RuntimeException e) {
                // Some providers cannot cancel; the gate then just drops what still arrives.
                log.debug("upstream stream could not be cancelled: {}", e.getClass().getName());
            }
        }
    }

    // Thinking and tool calls are forwarded unjudged (see GuardedStreamingChatModel), and only while open.

    @Override
    public synchronized void onPartialThinking(PartialThinking partialThinking) {
        if (!done) {
            downstream.onPartialThinking(partialThinking);
        }
    }

    @Override
    public synchronized void onPartialThinking(PartialThinking partialThinking, PartialThinkingContext context) {
        if (!done) {
            downstream.onPartialThinking(partialThinking, context);
        }
    }

    @Override
    public synchronized void onPartialToolCall(PartialToolCall partialToolCall) {
        if (!done) {
            downstream.onPartialToolCall(partialToolCall);
        }
    }

    @Override
    public synchronized void onPartialToolCall(PartialToolCall partialToolCall, PartialToolCallContext context) {
        if (!done) {
            downstream.onPartialToolCall(partialToolCall, context);
        }
    }

    @Override
    public synchronized void onCompleteToolCall(CompleteToolCall completeToolCall) {
        if (!done) {
            downstream.onCompleteToolCall(completeToolCall);
        }
    }

    @Override
    public synchronized void onUnmappedRawEvent(Object rawEvent) {
        if (!done) {
            downstream.onUnmappedRawEvent(rawEvent);
        }
    }

    private static int cutPoint(String text, int from, int limit) {
        for (int i = limit; i > from + 1; i--) {
            if (Character.isWhitespace(text.charAt(i - 1))) {
                return i;
            }
        }
        // No space: cut at the limit, but never between the halves of a surrogate pair.
        return Character.isLowSurrogate(text.charAt(limit)) ? limit - 1 : limit;
    }

    static boolean hasTerminator(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (isTerminator(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when {@code s} ends in a terminator followed only by spaces and closing marks: the
     * sentence iterator needs the next character to decide whether a sentence ended there.
     */
    static boolean endsWithTerminator(CharSequence s) {
        for (int i = s.length() - 1; i >= 0; i--) {
            char c = s.charAt(i);
            if (isTerminator(c)) {
                return true;
            }
            if (!Character.isWhitespace(c) && !isClosing(c)) {
                return false;
            }
        }
        return false;
    }

    private static boolean isTerminator(char c) {
        return switch (c) {
            case '.', '!', '?', '\n', '\r', '\u0085', '\u2028', '\u2029', '\u2026', '\u203C', '\u2047', '\u2048',
                 '\u2049', '\u3002', '\uFF01', '\uFF0E', '\uFF1F', '\uFF61', '\u061F', '\u06D4', '\u0964', '\u0965' -> true;
            default -> false;
        };
    }

    private static boolean isClosing(char c) {
        int type = Character.getType(c);
        return type == Character.END_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                || c == '"' || c == '\'';
    }

    /** The handle the caller gets: cancelling it cancels the upstream and stops forwarding. */
    private final class GateHandle implements StreamingHandle {
        private volatile boolean cancelled;

        @Override
        public void cancel() {
            cancelled = true;
            synchronized (SentenceGate.this) {
                done = true;
            }
            cancelUpstream();
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }
}
