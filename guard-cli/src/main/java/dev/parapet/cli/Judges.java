package dev.parapet.cli;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;

import java.time.Duration;
import java.util.Map;

/** The judge models of {@code eval} and {@code label}: any OpenAI-compatible chat-completions endpoint. */
final class Judges {
    static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    static final String DEFAULT_KEY_VARIABLE = "OPENAI_API_KEY";

    private Judges() {
    }

    /** The API key from the environment variable named {@code variable}; a missing one is a usage error. */
    static String apiKey(Map<String, String> env, String variable) {
        String key = env.get(variable);
        if (key == null || key.isBlank()) {
            throw new CliException("environment variable " + variable + " is not set: export the API key there, or name "
                    + "another variable with the api-key-env option (a local server that needs no key accepts any value)");
        }
        return key;
    }

    /**
     * A chat model at {@code baseUrl} (e.g. {@code https://api.openai.com/v1}, {@code http://localhost:8000/v1}).
     * Retries are the caller's: the client itself makes one attempt per call.
     */
    static ChatModel openAi(String baseUrl, String modelName, String apiKey, Duration timeout, Double temperature) {
        if (baseUrl == null || !(baseUrl.startsWith("http://") || baseUrl.startsWith("https://"))) {
            throw new CliException("the judge base URL must start with http:// or https://, got '" + baseUrl + "'");
        }
        if (modelName == null || modelName.isBlank()) {
            throw new CliException("name the judge model (e.g. gpt-4o-mini)");
        }
        return OpenAiChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey(apiKey)
                .modelName(modelName)
                .temperature(temperature)
                .timeout(timeout)
                .maxRetries(0)
                .build();
    }
}
