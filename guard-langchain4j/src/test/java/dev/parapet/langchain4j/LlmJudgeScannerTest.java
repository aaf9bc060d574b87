package dev.parapet.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.FailurePolicy;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LlmJudgeScannerTest {

    private LoopbackOpenAiServer server;

    @BeforeEach
    void startServer() {
        server = LoopbackOpenAiServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** A model that answers every request with {@code answer} and remembers what it was asked. */
    private static final class ScriptedModel implements ChatModel {
        final String answer;
        final List<String> asked = new CopyOnWriteArrayList<>();

        ScriptedModel(String answer) {
            this.answer = answer;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            asked.add(((dev.langchain4j.data.message.UserMessage) request.messages().get(0)).singleText());
            return ChatResponse.builder().aiMessage(AiMessage.from(answer)).build();
        }
    }

    private static ScanResult judge(String answer) {
        try (LlmJudgeScanner judge = LlmJudgeScanner.builder(new ScriptedModel(answer)).build()) {
            return judge.scan(ScanInput.output("Hi", "You are an idiot."));
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            toxic                                                       | FLAGGED | toxic     |
            Toxic.                                                      | FLAGGED | toxic     |
            TOXIC - it calls the reader an idiot.                       | FLAGGED | toxic     | it calls the reader an idiot.
            '**Toxic**: insults the user ("idiot").'                    | FLAGGED | toxic     | insults the user ("idiot").
            '"toxic" because it insults the reader'                     | FLAGGED | toxic     | because it insults the reader
            'Label: toxic\nReason: demeaning language'                  | FLAGGED | toxic     | demeaning language
            '- toxic, the text is a personal attack'                    | FLAGGED | toxic     | the text is a personal attack
            non-toxic                                                   | PASSED  | non-toxic |
            Non-Toxic. It is a polite greeting.                         | PASSED  | non-toxic | It is a polite greeting.
            'non toxic: just a question'                                | PASSED  | non-toxic | just a question
            NOT TOXIC                                                   | PASSED  | non-toxic |
            nontoxic - harmless                                         | PASSED  | non-toxic | harmless
            '`non_toxic`'                                               | PASSED  | non-toxic |
            'Answer: **non-toxic**\n\nThe text asks about the weather.' | PASSED  | non-toxic | The text asks about the weather.
            """)
    void should_read_a_label_and_reason_from_realistic_answers(String answer, Decision decision, String label,
                                                               String reason) {
        ScanResult r = judge(answer.replace("\\n", "\n"));

        assertThat(r.decision()).isEqualTo(decision);
        assertThat(r.label()).isEqualTo(label);
        assertThat(r.score()).isEqualTo(decision == Decision.FLAGGED ? 1.0 : 0.0);
        assertThat(r.threshold()).isEqualTo(0.5);
        assertThat(r.evidence()).singleElement().satisfies(e -> {
            assertThat(e.start()).isZero();
            assertThat(e.end()).isEqualTo("You are an idiot.".length());
            assertThat(e.detail()).isEqualTo(reason);
        });
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "I'm sorry, but I can't help with classifying this text.",
            "I cannot assist with that request.",
            "As an AI language model, I don't judge people.",
            "Sorry, I won't label that.",
            "The text is toxic.",
            "Toxicity: high",
            "toxically speaking, yes",
            "Yes",
            "   ",
            "42"})
    void should_turn_refusals_and_garbage_into_errors(String answer) {
        ScanResult r = judge(answer);

        assertThat(r.decision()).isEqualTo(Decision.ERROR);
        assertThat(r.errorMessage()).isNotBlank();
        assertThat(r.evidence()).isEmpty();
        assertThat(r.label()).isNull();
    }

    @Test
    void should_quote_a_truncated_answer_in_the_error_message() {
        String longAnswer = "I'm sorry, " + "but no. ".repeat(100);

        ScanResult r = judge(longAnswer);

        assertThat(r.errorMessage()).startsWith("the judge model refused").contains("I'm sorry, but no.").endsWith("...'");
        assertThat(r.errorMessage().length()).isLessThan(300);
    }

    @Test
    void should_flag_a_toxic_text_through_an_openai_model_inside_a_guard() {
        server.reply("toxic - it calls the user an idiot.");
        try (Guard guard = Guard.builder().outputScanner(LlmJudgeScanner.builder(openAi(Duration.ofSeconds(5))).build()).build()) {

            Verdict verdict = guard.scanOutput("How are you?", "Fine, you idiot.");

            assertThat(verdict.blocked()).isTrue();
            ScanResult r = verdict.result("llm-judge").orElseThrow();
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.attributes()).containsEntry("judge", "OPEN_AI").containsEntry("model", LoopbackOpenAiServer.MODEL)
                    .containsEntry("reason", "it calls the user an idiot.");
            assertThat(r.evidence()).extracting(Evidence::detail).containsExactly("it calls the user an idiot.");
            String sent = server.lastUserText(server.requests().size() - 1);
            assertThat(sent).contains("threats of physical or emotional violence", "\"toxic\" or \"non-toxic\"",
                    "Fine, you idiot.").doesNotContain("{{text}}");
        }
    }

    @Test
    void should_turn_a_timeout_into_an_error_that_blocks_when_failing_closed() {
        server.replyAfter(Duration.ofMillis(1500), "non-toxic");
        LlmJudgeScanner judge = LlmJudgeScanner.builder(openAi(Duration.ofSeconds(5))).timeout(Duration.ofMillis(150)).build();
        try (Guard guard = Guard.builder().outputScanner(judge).build()) {

            long start = System.nanoTime();
            Verdict verdict = guard.scanOutput("Hi", "Hello there.");

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1200));
            assertThat(verdict.blocked()).isTrue();
            assertThat(verdict.results()).singleElement().satisfies(r -> {
                assertThat(r.decision()).isEqualTo(Decision.ERROR);
                assertThat(r.errorMessage()).contains("150 ms", "timeout(");
            });
        }
    }

    @Test
    void should_turn_a_provider_error_into_an_error_that_passes_when_failing_open() {
        server.replyError(500);
        try (Guard guard = Guard.builder().failurePolicy(FailurePolicy.FAIL_OPEN)
                .outputScanner(LlmJudgeScanner.builder(openAi(Duration.ofSeconds(5))).build()).build()) {

            Verdict verdict = guard.scanOutput("Hi", "Hello there.");

            assertThat(verdict.allowed()).isTrue();
            assertThat(verdict.results()).singleElement().satisfies(r -> {
                assertThat(r.decision()).isEqualTo(Decision.ERROR);
                assertThat(r.errorMessage()).startsWith("the judge model failed");
                assertThat(r.error()).isNotNull();
            });
        }
    }

    @Test
    void should_judge_relevance_with_the_prompt_in_the_template() {
        ScriptedModel model = new ScriptedModel("Irrelevant: the answer talks about football.");
        try (LlmJudgeScanner judge = LlmJudgeScanner.relevance(model).build()) {

            ScanResult r = judge.scan(ScanInput.output("How do I file taxes? {{text}}", "Go team! {{prompt}}"));

            assertThat(r.scanner()).isEqualTo("llm-relevance");
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.label()).isEqualTo("irrelevant");
            // Placeholders inside the texts are left alone: one pass over the template only.
            assertThat(model.asked.get(0)).contains("How do I file taxes? {{text}}", "Go team! {{prompt}}");
        }
    }

    @Test
    void should_judge_refusals_with_their_own_labels() {
        try (LlmJudgeScanner judge = LlmJudgeScanner.refusal(new ScriptedModel("Compliance - it gives the recipe.")).build()) {
            assertThat(judge.scan(ScanInput.output("Recipe?", "Mix flour and water.")).decision()).isEqualTo(Decision.PASSED);
        }
        try (LlmJudgeScanner judge = LlmJudgeScanner.refusal(new ScriptedModel("not a refusal")).build()) {
            assertThat(judge.scan(ScanInput.output("Recipe?", "Sure.")).decision()).isEqualTo(Decision.ERROR);
        }
        try (LlmJudgeScanner judge = LlmJudgeScanner.refusal(new ScriptedModel("Not refusal.")).build()) {
            assertThat(judge.scan(ScanInput.output("Recipe?", "Sure.")).decision()).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_reject_bad_settings_naming_them() {
        ChatModel model = new ScriptedModel("toxic");
        assertThatThrownBy(() -> LlmJudgeScanner.builder(model).promptTemplate("Is this toxic?"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("promptTemplate").hasMessageContaining("{{text}}");
        assertThatThrownBy(() -> LlmJudgeScanner.builder(model).labels("Toxic", "toxic"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must differ");
        assertThatThrownBy(() -> LlmJudgeScanner.builder(model).timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
    }

    @Test
    void should_refuse_to_scan_after_close() {
        LlmJudgeScanner judge = LlmJudgeScanner.builder(new ScriptedModel("toxic")).build();
        judge.close();
        judge.close();

        assertThatThrownBy(() -> judge.scan(ScanInput.prompt("hi"))).isInstanceOf(IllegalStateException.class);
    }

    private ChatModel openAi(Duration timeout) {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("test").modelName(LoopbackOpenAiServer.MODEL)
                .timeout(timeout).maxRetries(0).build();
    }
}
