package dev.parapet.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A loopback server on 127.0.0.1 speaking OpenAI's chat-completions protocol (non-streaming):
 * {@code POST /v1/chat/completions} answered by a function of the last user message, with a
 * {@code usage} field. Records every user message and the most requests it saw in flight at once.
 * A bounded pool of 8 threads serves it; {@link #close()} stops it.
 */
final class LoopbackChatServer implements AutoCloseable {
    static final String MODEL = "loopback-judge";

    /** One answer: HTTP status, the assistant's text, token usage, and a delay before it is sent. */
    record Reply(int status, String text, int promptTokens, int completionTokens, long delayMillis) {
        static Reply ok(String text) {
            return new Reply(200, text, 100, 8, 0);
        }

        static Reply error(int status) {
            return new Reply(status, null, 0, 0, 0);
        }

        Reply after(long millis) {
            return new Reply(status, text, promptTokens, completionTokens, millis);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Function<String, Reply> responder;
    private final List<String> userMessages = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();

    LoopbackChatServer(Function<String, Reply> responder) throws IOException {
        this.responder = responder;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "loopback-chat");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    List<String> userMessages() {
        return List.copyOf(userMessages);
    }

    int requests() {
        return userMessages.size();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try (exchange) {
            JsonObject request = JsonParser.parseString(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            String user = null;
            for (JsonElement m : request.getAsJsonArray("messages")) {
                JsonObject o = m.getAsJsonObject();
                if ("user".equals(o.get("role").getAsString())) {
                    JsonElement c = o.get("content");
                    user = c.isJsonPrimitive() ? c.getAsString() : c.toString();
                }
            }
            userMessages.add(user);
            Reply reply = responder.apply(user);
            if (reply.delayMillis() > 0) {
                Thread.sleep(reply.delayMillis());
            }
            if (reply.status() != 200) {
                send(exchange, reply.status(), "{\"error\":{\"message\":\"scripted failure " + reply.status() + "\",\"type\":\"test\"}}");
                return;
            }
            send(exchange, 200, completion(request.has("model") ? request.get("model").getAsString() : MODEL, reply).toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static JsonObject completion(String model, Reply reply) {
        JsonObject root = new JsonObject();
        root.addProperty("id", "chatcmpl-loopback");
        root.addProperty("object", "chat.completion");
        root.addProperty("created", 1_700_000_000L);
        root.addProperty("model", model);
        JsonArray choices = new JsonArray();
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        JsonObject message = new JsonObject();
        message.addProperty("role", "assistant");
        message.addProperty("content", reply.text());
        choice.add("message", message);
        choice.addProperty("finish_reason", "stop");
        choices.add(choice);
        root.add("choices", choices);
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", reply.promptTokens());
        usage.addProperty("completion_tokens", reply.completionTokens());
        usage.addProperty("total_tokens", reply.promptTokens() + reply.completionTokens());
        root.add("usage", usage);
        return root;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
