package dev.parapet.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.guardrail.InputGuardrailException;
import dev.langchain4j.guardrail.OutputGuardrailException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import dev.parapet.core.Guard;
import dev.parapet.core.Stage;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ParapetGuardrailsTest {

    interface Assistant {
        String chat(String message);
    }

    interface Translator {
        @UserMessage("Translate to French: {{it}}")
        String translate(String text);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    private static final String REPROMPT = "Please answer the question directly.";

    private LoopbackOpenAiServer server;
    private Guard guard;
    private final TestScanners.PromptRecorder prompts = new TestScanners.PromptRecorder();
    private MessageWindowChatMemory memory;

    @BeforeEach
    void setUp() {
        server = LoopbackOpenAiServer.start();
        guard = Guard.builder()
                .inputScanner(new TestScanners.EmailRedactor())
                .inputScanner(new TestScanners.KeywordToxicity())
                .outputScanner(new TestScanners.KeywordToxicity())
                .outputScanner(new TestScanners.RefusalDetector())
                .outputScanner(prompts)
                .parallel(false)
                .build();
        memory = MessageWindowChatMemory.withMaxMessages(20);
    }

    @AfterEach
    void tearDown() {
        guard.close();
        server.close();
    }

    private ChatModel openAi() {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("test").modelName(LoopbackOpenAiServer.MODEL)
                .timeout(Duration.ofSeconds(5)).maxRetries(0).build();
    }

    private Assistant assistant(ParapetOutputGuardrail output) {
        return AiServices.builder(Assistant.class)
                .chatModel(openAi())
                .chatMemory(memory)
                .inputGuardrails(ParapetInputGuardrail.of(guard))
                .outputGuardrails(output)
                .build();
    }

    private ParapetOutputGuardrail repromptOnRefusal() {
        return ParapetOutputGuardrail.builder().guard(guard)
                .onBlock("refusal", OutputBlockAction.reprompt(REPROMPT))
                .build();
    }

    @Test
    void should_block_toxic_prompt_before_it_reaches_the_model() {
        Assistant assistant = assistant(ParapetOutputGuardrail.of(guard));

        Throwable thrown = catchThrowable(() -> assistant.chat("Listen, you idiot"));

        assertThat(thrown).isInstanceOf(InputGuardrailException.class).hasMessageContaining("toxicity");
        GuardrailBlockedException blocked = GuardrailBlockedException.findIn(thrown);
        assertThat(blocked).isNotNull();
        assertThat(blocked.stage()).isEqualTo(Stage.PROMPT);
        assertThat(blocked.verdict().firstBlocking().orElseThrow().scanner()).isEqualTo("toxicity");
        assertThat(server.requests()).isEmpty();
        assertThat(memory.messages()).isEmpty();
    }

    @Test
    void should_send_and_remember_the_sanitized_prompt() {
        server.reply("Done.");

        String answer = assistant(ParapetOutputGuardrail.of(guard)).chat("Email alice@example.com the report");

        assertThat(answer).isEqualTo("Done.");
        assertThat(server.lastUserText(0)).isEqualTo("Email [EMAIL] the report");
        assertThat(memory.messages()).extracting(ChatMessage::type).hasSize(2);
        assertThat(((dev.langchain4j.data.message.UserMessage) memory.messages().get(0)).singleText())
                .isEqualTo("Email [EMAIL] the report");
        // The output scanners saw the prompt that was sent, recovered from the chat memory.
        assertThat(prompts.prompts).containsExactly("Email [EMAIL] the report");
    }

    @Test
    void should_reprompt_when_the_answer_is_a_refusal() {
        server.reply("I'm sorry, but I can't help with that.").reply("Boil it for seven minutes.");

        String answer = assistant(repromptOnRefusal()).chat("How do I boil an egg?");

        assertThat(answer).isEqualTo("Boil it for seven minutes.");
        assertThat(server.requests()).hasSize(2);
        assertThat(server.messages(1)).containsExactly(
                "user: How do I boil an egg?",
                "assistant: I'm sorry, but I can't help with that.",
                "user: " + REPROMPT);
        assertThat(prompts.prompts).containsExactly("How do I boil an egg?", "How do I boil an egg?");
    }

    @Test
    void should_fail_on_a_toxic_answer_and_keep_it_out_of_the_memory() {
        server.reply("Only an idiot asks that.").reply("Hello again.");
        Assistant assistant = assistant(repromptOnRefusal());

        Throwable thrown = catchThrowable(() -> assistant.chat("How do I boil an egg?"));

        assertThat(thrown).isInstanceOf(OutputGuardrailException.class);
        GuardrailBlockedException blocked = GuardrailBlockedException.findIn(thrown);
        assertThat(blocked.stage()).isEqualTo(Stage.OUTPUT);
        assertThat(blocked.verdict().firstBlocking().orElseThrow().scanner()).isEqualTo("toxicity");
        assertThat(memory.messages()).noneMatch(m -> m instanceof AiMessage);

        assertThat(assistant.chat("Hi")).isEqualTo("Hello again.");
        assertThat(server.messages(1)).noneMatch(m -> m.contains("idiot"));
    }

    @Test
    void should_give_up_when_retries_run_out_and_still_expose_the_verdict() {
        server.reply("I'm sorry, but I can't do that.").reply("I'm sorry, but I can't do that either.");
        ParapetOutputGuardrail retry = ParapetOutputGuardrail.builder().guard(guard)
                .onBlock("refusal", OutputBlockAction.retry()).build();

        Throwable thrown = catchThrowable(() -> assistant(retry).chat("How do I boil an egg?"));

        assertThat(thrown).isInstanceOf(OutputGuardrailException.class).hasMessageContaining("maximum number of retries");
        assertThat(GuardrailBlockedException.findIn(thrown)).isNotNull()
                .satisfies(b -> assertThat(b.verdict().firstBlocking().orElseThrow().scanner()).isEqualTo("refusal"));
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void should_recover_the_prompt_from_the_template_without_a_chat_memory() {
        server.reply("Fromage.");
        Translator translator = AiServices.builder(Translator.class)
                .chatModel(openAi())
                .outputGuardrails(ParapetOutputGuardrail.of(guard))
                .build();

        assertThat(translator.translate("cheese")).isEqualTo("Fromage.");
        assertThat(prompts.prompts).containsExactly("Translate to French: cheese");
    }

    @Test
    void should_stop_an_ai_service_token_stream_at_a_toxic_sentence() throws Exception {
        server.reply("Boil the egg for seven minutes. Only an idiot gets this wrong. Then peel it.");
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class)
                .streamingChatModel(GuardedStreamingChatModel.builder()
                        .delegate(OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey("test")
                                .modelName(LoopbackOpenAiServer.MODEL).timeout(Duration.ofSeconds(5)).build())
                        .guard(guard)
                        .build())
                .chatMemory(memory)
                .inputGuardrails(ParapetInputGuardrail.of(guard))
                .build();
        List<String> partials = new CopyOnWriteArrayList<>();
        CompletableFuture<Throwable> error = new CompletableFuture<>();

        assistant.chat("How do I boil an egg?")
                .onPartialResponse(partials::add)
                .onCompleteResponse(r -> error.complete(null))
                .onError(error::complete)
                .start();

        assertThat(GuardrailBlockedException.findIn(error.get(10, TimeUnit.SECONDS))).isNotNull();
        assertThat(partials).containsExactly("Boil the egg for seven minutes. ");
    }

    @Test
    void should_reject_a_missing_guard() {
        assertThatThrownBy(() -> ParapetOutputGuardrail.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("guard");
        assertThatThrownBy(() -> OutputBlockAction.reprompt(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
