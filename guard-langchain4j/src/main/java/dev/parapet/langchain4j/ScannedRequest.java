package dev.parapet.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.parapet.core.Guard;
import dev.parapet.core.Verdict;

import java.util.ArrayList;
import java.util.List;

/**
 * A chat request after its last user message went through the guard's prompt stage: the request
 * to send (with the sanitized text in place), the prompt as sent (context for the output stage),
 * and the verdict when it was blocked.
 *
 * @param request the request to send on; {@code null} when blocked
 * @param prompt  the judged prompt as sent, or {@code ""} when the request had no user text
 * @param blocked the blocking verdict, or {@code null} when the request may go on
 */
record ScannedRequest(ChatRequest request, String prompt, Verdict blocked) {

    static ScannedRequest scan(ChatRequest chatRequest, Guard guard, boolean scanPrompt) {
        List<ChatMessage> messages = chatRequest.messages();
        int userIndex = MessageTexts.lastUserMessageIndex(messages);
        UserMessage userMessage = userIndex < 0 ? null : (UserMessage) messages.get(userIndex);
        String prompt = userMessage == null ? null : MessageTexts.textOf(userMessage);
        if (prompt == null) {
            return new ScannedRequest(chatRequest, "", null);
        }
        if (!scanPrompt) {
            return new ScannedRequest(chatRequest, prompt, null);
        }
        Verdict verdict = guard.scanPrompt(prompt);
        if (verdict.blocked()) {
            return new ScannedRequest(null, prompt, verdict);
        }
        String sanitized = verdict.sanitizedPrompt();
        if (sanitized.equals(prompt)) {
            return new ScannedRequest(chatRequest, prompt, null);
        }
        List<ChatMessage> rewritten = new ArrayList<>(messages);
        rewritten.set(userIndex, MessageTexts.withText(userMessage, sanitized));
        return new ScannedRequest(chatRequest.toBuilder().messages(rewritten).build(), sanitized, null);
    }
}
