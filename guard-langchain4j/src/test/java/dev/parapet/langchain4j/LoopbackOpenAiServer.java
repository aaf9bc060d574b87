package dev.parapet.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server speaking just enough of OpenAI's chat-completions protocol for the real
 * {@code langchain4j-open-ai} client: {@code POST /v1/chat/completions}, answered as JSON or, when
 * the request says {@code "stream": true}, as server-sent events ending with {@code data: [DONE]}.
 * Replies are scripted in order; every request body is recorded. Without a scripted reply it
 * answers 500, so a test that calls more often than it expects fails loudly.
 */
final class LoopbackOpenAiServer implements AutoCloseable {
    static final String MODEL = "loopback-gpt";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One scripted answer: the text (streamed as the given chunks), an HTTP error, or a delay first. */
    record Reply(List<String> chunks, int status, Duration delay) {
        String text() {
            return String.join("", chunks);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger chunksWritten = new AtomicInteger();

    private LoopbackOpenAiServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "loopback-openai");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    static LoopbackOpenAiServer start() {
        try {
            return new LoopbackOpenAiServer();
        } catch (IOException e) {
            throw new IllegalStateException("could not start the loopback server", e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Answers the next request with {@code text}; a stream gets it word by word. */
    LoopbackOpenAiServer reply(String text) {
        return replyChunks(splitKeepingSpaces(text));
    }

    /** Answers the next request with these stream chunks (or, not streaming, their concatenation). */
    LoopbackOpenAiServer replyChunks(List<String> chunks) {
        script.add(new Reply(List.copyOf(chunks), 200, Duration.ZERO));
        return this;
    }

    /** Answers the next request with {@code text} after {@code delay}. */
    LoopbackOpenAiServer replyAfter(Duration delay, String text) {
        script.add(new Reply(splitKeepingSpaces(text), 200, delay));
        return this;
    }

    /** Answers the next request with an HTTP error. */
    LoopbackOpenAiServer replyError(int status) {
        script.add(new Reply(List.of(), status, Duration.ZERO));
        return this;
    }

    /** Every request body received, in order. */
    List<JsonNode> requests() {
        return List.copyOf(requests);
    }

    /** The text of the last user message of request {@code i}. */
    String lastUserText(int i) {
        JsonNode messages = requests.get(i).path("messages");
        for (int m = messages.size() - 1; m >= 0; m--) {
            if ("user".equals(messages.get(m).path("role").asText())) {
                return contentText(messages.get(m).path("content"));
            }
        }
        return null;
    }

    /** The roles and texts of request {@code i}'s messages, as "role: text". */
    List<String> messages(int i) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : requests.get(i).path("messages")) {
            out.add(m.path("role").asText() + ": " + contentText(m.path("content")));
        }
        return out;
    }

    int chunksWritten() {
        return chunksWritten.get();
    }

    private static String contentText(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder s = new StringBuilder();
        for (JsonNode part : content) {
            if (part.has("text")) {
                s.append(part.path("text").asText());
            }
        }
        return s.toString();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "{\"error\":{\"message\":\"POST only\"}}");
                return;
            }
            JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
            requests.add(request);
            Reply reply = script.poll();
            if (reply == null) {
                send(exchange, 500, "{\"error\":{\"message\":\"no scripted reply left\",\"type\":\"server_error\"}}");
                return;
            }
            if (!reply.delay().isZero()) {
                try {
                    Thread.sleep(reply.delay().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (reply.status() != 200) {
                send(exchange, reply.status(), "{\"error\":{\"message\":\"scripted failure\",\"type\":\"server_error\"}}");
                return;
            }
            if (request.path("stream").asBoolean(false)) {
                stream(exchange, reply);
            } else {
                send(exchange, 200, JSON.writeValueAsString(completion(reply.text())));
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private void stream(HttpExchange exchange, Reply reply) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        try {
            event(out, chunk("", true, null));
            for (String c : reply.chunks()) {
                event(out, chunk(c, false, null));
                chunksWritten.incrementAndGet();
                // A real model takes time per token; it also lets the client cancel mid-stream.
                TimeUnit.MILLISECONDS.sleep(2);
            }
            event(out, chunk(null, false, "stop"));
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException | InterruptedException e) {
            // The client went away (e.g. it cancelled the stream): stop writing.
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void event(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode completion(String text) {
        ObjectNode root = header("chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", text);
        choice.put("finish_reason", "stop");
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", 10);
        usage.put("completion_tokens", 5);
        usage.put("total_tokens", 15);
        return root;
    }

    private static ObjectNode chunk(String content, boolean first, String finishReason) {
        ObjectNode root = header("chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (first) {
            delta.put("role", "assistant");
            delta.put("content", "");
        } else if (content != null) {
            delta.put("content", content);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return root;
    }

    private static ObjectNode header(String object) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-loopback");
        root.put("object", object);
        root.put("created", 1_700_000_000L);
        root.put("model", MODEL);
        return root;
    }

    /** "Hello there. You" → ["Hello ", "there. ", "You"]: one word per chunk, like tokens. */
    static List<String> splitKeepingSpaces(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ' ') {
                out.add(text.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < text.length()) {
            out.add(text.substring(start));
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
