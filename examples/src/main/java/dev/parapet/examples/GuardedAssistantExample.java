package dev.parapet.examples;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.GuardrailException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.demo.DemoModels;
import dev.parapet.langchain4j.GuardrailBlockedException;
import dev.parapet.langchain4j.OutputBlockAction;
import dev.parapet.langchain4j.ParapetInputGuardrail;
import dev.parapet.langchain4j.ParapetOutputGuardrail;
import dev.parapet.onnx.ModelSource;
import dev.parapet.scanners.ToxicityScanner;

import java.util.List;
import java.util.Locale;

/**
 * A LangChain4j AI-service assistant guarded by Parapet: the toxicity scanner judges each prompt
 * before it reaches the model (input guardrail) and each answer before it reaches the user
 * (output guardrail).
 *
 * <pre>
 * mvn -q -pl examples -am compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * cd examples &amp;&amp; java -cp "target/classes:$(cat target/cp.txt)" dev.parapet.examples.GuardedAssistantExample
 * </pre>
 *
 * To stay offline the "LLM" is a stand-in with canned answers; replace {@link #standInModel()} with
 * a real one, e.g. {@code OpenAiChatModel.builder().apiKey(System.getenv("OPENAI_API_KEY"))
 * .modelName("gpt-4o-mini").build()} from {@code dev.langchain4j:langchain4j-open-ai}. The guard is
 * the demo toxicity model (see {@link ScanExample}), built locally on first use.
 */
public final class GuardedAssistantExample {

    /** The AI service: LangChain4j implements it; Parapet's guardrails wrap every call. */
    interface Assistant {
        @SystemMessage("You are a friendly cooking assistant.")
        String chat(String message);
    }

    private GuardedAssistantExample() {
    }

    public static void main(String[] args) {
        ModelSource toxicity = ModelSource.directory(DemoModels.toxicity());
        // One guard, built once (it holds the model sessions) and shared by both guardrails.
        try (Guard guard = Guard.builder()
                .inputScanner(ToxicityScanner.builder(toxicity).build())
                .outputScanner(ToxicityScanner.builder(toxicity).build())
                .build()) {

            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(standInModel())
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10))
                    // Register instances, not classes: a class would be instantiated per method, guard-less.
                    .inputGuardrails(ParapetInputGuardrail.of(guard))
                    .outputGuardrails(ParapetOutputGuardrail.builder()
                            .guard(guard)
                            // A toxic answer is fatal by default; this asks the model once more instead.
                            .onBlock(ToxicityScanner.NAME, OutputBlockAction.reprompt(
                                    "Answer again, politely and without insults."))
                            .build())
                    .build();

            for (String question : List.of(
                    "How long should I boil an egg?",
                    "You are a useless idiot, shut up and give me a recipe.",
                    "Can you suggest a dessert for my neighbour?")) {
                System.out.println("user:      " + question);
                try {
                    System.out.println("assistant: " + assistant.chat(question));
                } catch (GuardrailException e) {
                    GuardrailBlockedException blocked = GuardrailBlockedException.findIn(e);
                    System.out.println("blocked:   " + (blocked == null ? e.getMessage() : describe(blocked)));
                }
                System.out.println();
            }
        }
    }

    private static String describe(GuardrailBlockedException blocked) {
        ScanResult r = blocked.verdict().firstBlocking().orElseThrow();
        return String.format(Locale.ROOT, "the %s, by %s (label %s, score %.3f >= threshold %.2f)",
                blocked.stage().name().toLowerCase(Locale.ROOT), r.scanner(), r.label(), r.score(), r.threshold());
    }

    /**
     * A stand-in for a real chat model. Its first answer about the neighbour is rude, so the output
     * guardrail rejects it and the reprompt gets a polite one.
     */
    private static ChatModel standInModel() {
        return new ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                String last = request.messages().get(request.messages().size() - 1) instanceof UserMessage u
                        && u.hasSingleText() ? u.singleText().toLowerCase(Locale.ROOT) : "";
                String answer;
                if (last.contains("egg")) {
                    answer = "Seven minutes for a jammy yolk, ten for a firm one.";
                } else if (last.contains("neighbour")) {
                    answer = "Your neighbour is a stupid idiot who cannot cook.";
                } else if (last.contains("politely")) {
                    answer = "Try a lemon tart; it is easy and everyone loves it.";
                } else {
                    answer = "I'm happy to help with cooking questions.";
                }
                return ChatResponse.builder().aiMessage(AiMessage.from(answer)).build();
            }
        };
    }
}
