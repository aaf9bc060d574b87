package dev.parapet.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a stream delivered; {@link #await()} waits (boundedly) for its end. */
final class CollectingHandler implements StreamingChatResponseHandler {
    final List<String> partials = new CopyOnWriteArrayList<>();
    final CompletableFuture<ChatResponse> completed = new CompletableFuture<>();
    final CompletableFuture<Throwable> failed = new CompletableFuture<>();
    final AtomicInteger terminalSignals = new AtomicInteger();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    @Override
    public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
        partials.add(partialResponse.text());
    }

    @Override
    public void onCompleteResponse(ChatResponse completeResponse) {
        terminalSignals.incrementAndGet();
        completed.complete(completeResponse);
        ended.complete(null);
    }

    @Override
    public void onError(Throwable error) {
        terminalSignals.incrementAndGet();
        failed.complete(error);
        ended.complete(null);
    }

    CollectingHandler await() {
        try {
            ended.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the stream did not end within 10 s", e);
        }
        return this;
    }

    String text() {
        return String.join("", partials);
    }
}
