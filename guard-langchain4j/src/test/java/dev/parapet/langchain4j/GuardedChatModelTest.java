package dev.parapet.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.parapet.core.Guard;
import dev.parapet.core.Stage;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GuardedChatModelTest {

    private LoopbackOpenAiServer server;
    private Guard guard;
    private final List<String> listenerEvents = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        server = LoopbackOpenAiServer.start();
        guard = Guard.builder()
                .inputScanner(new TestScanners.EmailRedactor())
                .inputScanner(new TestScanners.KeywordToxicity())
                .outputScanner(new TestScanners.EmailRedactor())
                .outputScanner(new TestScanners.KeywordToxicity())
                .build();
    }

    @AfterEach
    void tearDown() {
        guard.close();
        server.close();
    }

    private OpenAiChatModel openAi() {
        return OpenAiChatModel.builder()
                .baseUrl(server.baseUrl())
                .apiKey("test")
                .modelName(LoopbackOpenAiServer.MODEL)
                .temperature(0.3)
                .timeout(Duration.ofSeconds(5))
                .maxRetries(0)
                .listeners(List.of(new RecordingListener()))
                .build();
    }

    private GuardedChatModel guarded(BlockMode mode) {
        return GuardedChatModel.builder().delegate(openAi()).guard(guard).blockMode(mode)
                .refusalMessage("I can't help with that.").build();
    }

    @Test
    void should_block_toxic_prompt_before_it_reaches_the_model() {
        ChatModel model = guarded(BlockMode.THROW);

        assertThatThrownBy(() -> model.chat("Tell my idiot neighbour what I think of him"))
                .isInstanceOfSatisfying(GuardrailBlockedException.class, e -> {
                    assertThat(e.stage()).isEqualTo(Stage.PROMPT);
                    assertThat(e.verdict().blocked()).isTrue();
                    assertThat(e.verdict().firstBlocking()).hasValueSatisfying(r -> {
                        assertThat(r.scanner()).isEqualTo("toxicity");
                        assertThat(r.evidence().get(0).start()).isEqualTo(8);
                    });
                    assertThat(e.getMessage()).contains("toxicity").doesNotContain("idiot");
                });
        assertThat(server.requests()).isEmpty();
        assertThat(listenerEvents).isEmpty();
    }

    @Test
    void should_return_the_refusal_message_when_refusing_instead_of_throwing() {
        ChatModel model = guarded(BlockMode.REFUSE);

        ChatResponse response = model.chat(ChatRequest.builder().messages(UserMessage.from("you stupid bot")).build());

        assertThat(response.aiMessage().text()).isEqualTo("I can't help with that.");
        assertThat(response.finishReason()).isEqualTo(FinishReason.CONTENT_FILTER);
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void should_block_toxic_output_after_the_model_answered() {
        server.reply("Only an idiot would ask that.");
        ChatModel model = guarded(BlockMode.THROW);

        assertThatThrownBy(() -> model.chat("How do I boil an egg?"))
                .isInstanceOfSatisfying(GuardrailBlockedException.class,
                        e -> assertThat(e.stage()).isEqualTo(Stage.OUTPUT));
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void should_refuse_toxic_output_keeping_the_response_metadata() {
        server.reply("Only an idiot would ask that.");

        ChatResponse response = guarded(BlockMode.REFUSE)
                .chat(ChatRequest.builder().messages(UserMessage.from("How do I boil an egg?")).build());

        assertThat(response.aiMessage().text()).isEqualTo("I can't help with that.");
        assertThat(response.finishReason()).isEqualTo(FinishReason.CONTENT_FILTER);
        assertThat(response.modelName()).isEqualTo(LoopbackOpenAiServer.MODEL);
    }

    @Test
    void should_send_the_sanitized_prompt_and_return_the_sanitized_output() {
        server.reply("I wrote to bob@example.org for you.");

        ChatResponse response = guarded(BlockMode.THROW).chat(ChatRequest.builder()
                .messages(SystemMessage.from("Be brief."), UserMessage.from("Write to bob@example.org please"))
                .build());

        assertThat(server.lastUserText(0)).isEqualTo("Write to [EMAIL] please");
        assertThat(server.messages(0)).containsExactly("system: Be brief.", "user: Write to [EMAIL] please");
        assertThat(response.aiMessage().text()).isEqualTo("I wrote to [EMAIL] for you.");
        assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void should_judge_only_the_last_user_message() {
        server.reply("Fine.");

        ChatResponse response = guarded(BlockMode.THROW).chat(ChatRequest.builder()
                .messages(UserMessage.from("an earlier idiot remark"), UserMessage.from("How are you?"))
                .build());

        assertThat(response.aiMessage().text()).isEqualTo("Fine.");
        assertThat(server.messages(0)).containsExactly("user: an earlier idiot remark", "user: How are you?");
    }

    @Test
    void should_fire_the_delegate_listeners_once_per_call_with_the_callers_attributes() {
        server.reply("Hello!");
        ChatRequestOptions options = ChatRequestOptions.builder().addListenerAttribute("tenant", "acme").build();

        guarded(BlockMode.THROW).chat(ChatRequest.builder().messages(UserMessage.from("Hi")).build(), options);

        assertThat(listenerEvents).containsExactly("request tenant=acme", "response tenant=acme");
    }

    @Test
    void should_delegate_default_parameters_provider_and_capabilities() {
        OpenAiChatModel delegate = openAi();
        GuardedChatModel model = GuardedChatModel.builder().delegate(delegate).guard(guard).build();

        assertThat(model.defaultRequestParameters()).isEqualTo(delegate.defaultRequestParameters());
        assertThat(model.defaultRequestParameters().temperature()).isEqualTo(0.3);
        assertThat(model.provider()).isEqualTo(ModelProvider.OPEN_AI);
        assertThat(model.supportedCapabilities()).isEqualTo(delegate.supportedCapabilities());
        assertThat(model.listeners()).isEmpty();
    }

    @Test
    void should_say_which_setting_is_missing() {
        assertThatThrownBy(() -> GuardedChatModel.builder().guard(guard).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("delegate");
        assertThatThrownBy(() -> GuardedChatModel.builder().refusalMessage(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refusalMessage");
    }

    private final class RecordingListener implements ChatModelListener {
        @Override
        public void onRequest(ChatModelRequestContext context) {
            listenerEvents.add("request tenant=" + context.attributes().get("tenant"));
        }

        @Override
        public void onResponse(ChatModelResponseContext context) {
            listenerEvents.add("response tenant=" + context.attributes().get("tenant"));
        }

        @Override
        public void onError(ChatModelErrorContext context) {
            listenerEvents.add("error");
        }
    }
}
