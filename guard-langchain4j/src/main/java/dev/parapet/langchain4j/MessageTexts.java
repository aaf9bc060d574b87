package dev.parapet.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.FinishReason;

import java.util.ArrayList;
import java.util.List;

/** Reading and rewriting the text parts of LangChain4j messages. */
final class MessageTexts {

    private MessageTexts() {
    }

    /** Index of the last {@link UserMessage} in {@code messages}, or -1. */
    static int lastUserMessageIndex(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The text a guard judges for a user message: its text parts joined by a newline; {@code null}
     * when it has none (an image-only message). Images, audio and files are not judged.
     */
    static String textOf(UserMessage message) {
        if (message.hasSingleText()) {
            return message.singleText();
        }
        StringBuilder s = null;
        for (Content c : message.contents()) {
            if (c instanceof TextContent t) {
                if (s == null) {
                    s = new StringBuilder(t.text());
                } else {
                    s.append('\n').append(t.text());
                }
            }
        }
        return s == null ? null : s.toString();
    }

    /** How many text parts {@code message} has. */
    static int textParts(UserMessage message) {
        int n = 0;
        for (Content c : message.contents()) {
            if (c instanceof TextContent) {
                n++;
            }
        }
        return n;
    }

    /**
     * {@code message} with its text replaced by {@code text}: the first text part gets the whole
     * text, further text parts are dropped (their text was joined into the judged text), other
     * parts, the name and the attributes stay.
     */
    static UserMessage withText(UserMessage message, String text) {
        List<Content> contents = new ArrayList<>(message.contents().size());
        boolean placed = false;
        for (Content c : message.contents()) {
            if (c instanceof TextContent) {
                if (!placed) {
                    contents.add(TextContent.from(text));
                    placed = true;
                }
            } else {
                contents.add(c);
            }
        }
        if (!placed) {
            contents.add(0, TextContent.from(text));
        }
        return message.toBuilder().contents(contents).build();
    }

    /** {@code response} with its AI message text replaced, everything else (tool calls, metadata) kept. */
    static ChatResponse withText(ChatResponse response, String text) {
        return response.toBuilder().aiMessage(response.aiMessage().withText(text)).build();
    }

    /** A response saying {@code refusal}, finish reason CONTENT_FILTER, keeping {@code original}'s other metadata. */
    static ChatResponse refusal(String refusal, ChatResponse original) {
        if (original == null || original.metadata() == null) {
            return ChatResponse.builder()
                    .aiMessage(AiMessage.from(refusal))
                    .finishReason(FinishReason.CONTENT_FILTER)
                    .build();
        }
        ChatResponseMetadata metadata = original.metadata().toBuilder().finishReason(FinishReason.CONTENT_FILTER).build();
        return ChatResponse.builder().aiMessage(AiMessage.from(refusal)).metadata(metadata).build();
    }
}
