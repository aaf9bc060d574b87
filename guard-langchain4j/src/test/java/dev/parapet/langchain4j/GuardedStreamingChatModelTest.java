package dev.parapet.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GuardedStreamingChatModelTest {

    private static final String TOXIC_ANSWER =
            "Sure, I can help. Boil the egg for seven minutes. Only an idiot gets this wrong. Then peel it. Enjoy!";

    private LoopbackOpenAiServer server;
    private Guard guard;
    private final List<String> judged = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        server = LoopbackOpenAiServer.start();
        guard = Guard.builder()
                .inputScanner(new TestScanners.KeywordToxicity())
                .outputScanner(new TestScanners.EmailRedactor())
                .outputScanner(recording(new TestScanners.KeywordToxicity()))
                .build();
    }

    @AfterEach
    void tearDown() {
        guard.close();
        server.close();
    }

    /** Wraps a scanner to record each text it judged. */
    private Scanner recording(Scanner scanner) {
        return new Scanner() {
            @Override
            public String name() {
                return scanner.name();
            }

            @Override
            public ScanResult scan(ScanInput input) {
                judged.add(input.text());
                return scanner.scan(input);
            }
        };
    }

    private StreamingChatModel guarded(BlockMode mode) {
        return GuardedStreamingChatModel.builder()
                .delegate(OpenAiStreamingChatModel.builder()
                        .baseUrl(server.baseUrl())
                        .apiKey("test")
                        .modelName(LoopbackOpenAiServer.MODEL)
                        .timeout(Duration.ofSeconds(5))
                        .build())
                .guard(guard)
                .blockMode(mode)
                .refusalMessage("I won't repeat that.")
                .build();
    }

    private static ChatRequest ask(String prompt) {
        return ChatRequest.builder().messages(UserMessage.from(prompt)).build();
    }

    @Test
    void should_stop_the_stream_at_the_first_toxic_sentence() {
        server.reply(TOXIC_ANSWER);
        CollectingHandler handler = new CollectingHandler();

        guarded(BlockMode.THROW).chat(ask("How do I boil an egg?"), handler);
        handler.await();

        assertThat(handler.partials).containsExactly("Sure, I can help. ", "Boil the egg for seven minutes. ");
        assertThat(handler.failed).isCompletedWithValueMatching(e -> e instanceof GuardrailBlockedException);
        GuardrailBlockedException blocked = (GuardrailBlockedException) handler.failed.join();
        assertThat(blocked.stage()).isEqualTo(Stage.OUTPUT);
        assertThat(blocked.textOffset()).isEqualTo("Sure, I can help. Boil the egg for seven minutes. ".length());
        int insult = blocked.verdict().firstBlocking().orElseThrow().evidence().get(0).start();
        assertThat(TOXIC_ANSWER.substring(blocked.textOffset() + insult)).startsWith("idiot");
        assertThat(handler.completed).isNotDone();
        assertThat(handler.terminalSignals).hasValue(1);
        // Each sentence judged once, and nothing after the blocked one.
        assertThat(judged).containsExactly("Sure, I can help. ", "Boil the egg for seven minutes. ",
                "Only an idiot gets this wrong. ");
    }

    @Test
    void should_complete_with_the_refusal_when_refusing_instead_of_throwing() {
        server.reply(TOXIC_ANSWER);
        CollectingHandler handler = new CollectingHandler();

        guarded(BlockMode.REFUSE).chat(ask("How do I boil an egg?"), handler);
        handler.await();

        assertThat(handler.partials).containsExactly("Sure, I can help. ", "Boil the egg for seven minutes. ",
                "I won't repeat that.");
        ChatResponse response = handler.completed.join();
        assertThat(response.aiMessage().text()).isEqualTo(handler.text());
        assertThat(response.finishReason()).isEqualTo(FinishReason.CONTENT_FILTER);
        assertThat(handler.terminalSignals).hasValue(1);
    }

    @Test
    void should_forward_a_clean_stream_sentence_by_sentence_and_sanitized() {
        server.reply("Write to bob@example.org today. He answers fast! Anything else?");
        CollectingHandler handler = new CollectingHandler();

        guarded(BlockMode.THROW).chat(ask("Whom do I write to?"), handler);
        handler.await();

        assertThat(handler.partials).containsExactly("Write to [EMAIL] today. ", "He answers fast! ", "Anything else?");
        ChatResponse response = handler.completed.join();
        assertThat(response.aiMessage().text()).isEqualTo("Write to [EMAIL] today. He answers fast! Anything else?");
        assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(judged).hasSize(3);
    }

    @Test
    void should_block_a_toxic_prompt_before_streaming_starts() {
        CollectingHandler handler = new CollectingHandler();

        guarded(BlockMode.THROW).chat(ask("answer me, moron"), handler);
        handler.await();

        assertThat(handler.failed.join()).isInstanceOfSatisfying(GuardrailBlockedException.class,
                e -> assertThat(e.stage()).isEqualTo(Stage.PROMPT));
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void should_cut_a_sentence_without_end_at_the_limit() {
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            words.append("word").append(i).append(' ');
        }
        server.reply(words.toString().strip());
        CollectingHandler handler = new CollectingHandler();

        GuardedStreamingChatModel.builder()
                .delegate(OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey("test")
                        .modelName(LoopbackOpenAiServer.MODEL).timeout(Duration.ofSeconds(5)).build())
                .guard(guard)
                .maxSentenceChars(50)
                .build()
                .chat(ask("Count"), handler);
        handler.await();

        assertThat(handler.partials).hasSizeGreaterThan(4).allSatisfy(p -> assertThat(p.length()).isLessThanOrEqualTo(50));
        assertThat(handler.text()).isEqualTo(words.toString().strip());
    }

    @Test
    void should_cancel_the_upstream_stream_when_blocking() {
        AtomicBoolean cancelled = new AtomicBoolean();
        StreamingHandle upstreamHandle = new StreamingHandle() {
            @Override
            public void cancel() {
                cancelled.set(true);
            }

            @Override
            public boolean isCancelled() {
                return cancelled.get();
            }
        };
        // A provider that keeps talking after a cancel: the gate must drop the rest.
        StreamingChatModel chatty = new StreamingChatModel() {
            @Override
            public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
                for (String delta : List.of("Hello. ", "You idiot. ", "More text. ", "Even more.")) {
                    handler.onPartialResponse(new PartialResponse(delta), new PartialResponseContext(upstreamHandle));
                }
                handler.onCompleteResponse(ChatResponse.builder()
                        .aiMessage(dev.langchain4j.data.message.AiMessage.from("Hello. You idiot. More text. Even more."))
                        .build());
            }
        };
        CollectingHandler handler = new CollectingHandler();

        GuardedStreamingChatModel.builder().delegate(chatty).guard(guard).build().chat(ask("Hi"), handler);
        handler.await();

        assertThat(cancelled).isTrue();
        assertThat(handler.partials).containsExactly("Hello. ");
        assertThat(handler.failed).isDone();
        assertThat(handler.terminalSignals).hasValue(1);
    }

    @Test
    void should_judge_an_answer_that_arrives_only_in_the_final_response() {
        StreamingChatModel silent = new StreamingChatModel() {
            @Override
            public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
                handler.onCompleteResponse(ChatResponse.builder()
                        .aiMessage(dev.langchain4j.data.message.AiMessage.from("Fine. You idiot.")).build());
            }
        };
        CollectingHandler handler = new CollectingHandler();

        GuardedStreamingChatModel.builder().delegate(silent).guard(guard).build().chat(ask("Hi"), handler);
        handler.await();

        assertThat(handler.partials).containsExactly("Fine. ");
        assertThat(handler.failed.join()).isInstanceOf(GuardrailBlockedException.class);
    }

    @Test
    void should_judge_each_character_once_however_the_stream_is_chunked() {
        String answer = "First sentence here. Second one follows! Is this the third? Yes, e.g. it is. Done";
        StreamingChatModel charByChar = new StreamingChatModel() {
            @Override
            public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
                for (int i = 0; i < answer.length(); i++) {
                    handler.onPartialResponse(answer.substring(i, i + 1));
                }
                handler.onCompleteResponse(ChatResponse.builder()
                        .aiMessage(dev.langchain4j.data.message.AiMessage.from(answer)).build());
            }
        };
        CollectingHandler handler = new CollectingHandler();

        GuardedStreamingChatModel.builder().delegate(charByChar).guard(guard).build().chat(ask("Hi"), handler);
        handler.await();

        assertThat(String.join("", judged)).isEqualTo(answer);
        assertThat(handler.text()).isEqualTo(answer);
        assertThat(handler.completed.join().aiMessage().text()).isEqualTo(answer);
        assertThat(judged).hasSizeGreaterThanOrEqualTo(4);
    }
}
