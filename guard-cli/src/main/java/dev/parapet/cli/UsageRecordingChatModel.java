package dev.parapet.cli;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A chat model that passes calls through and keeps the token usage of the last answer (the
 * response's {@code usage} field), so a judge call made inside {@link dev.parapet.langchain4j.LlmJudgeScanner}
 * can be counted and priced. One instance per call.
 */
final class UsageRecordingChatModel implements ChatModel {
    private final ChatModel delegate;
    private final AtomicReference<TokenUsage> usage = new AtomicReference<>();

    UsageRecordingChatModel(ChatModel delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        ChatResponse response = delegate.chat(request);
        if (response != null) {
            usage.set(response.tokenUsage());
        }
        return response;
    }

    @Override
    public ModelProvider provider() {
        return delegate.provider();
    }

    /** The usage of the answer, or {@code null} when there was none (failed call, no usage field). */
    TokenUsage usage() {
        return usage.get();
    }
}
