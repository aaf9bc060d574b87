package dev.parapet.scanners;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback stand-in for the Hugging Face hub's resolve endpoints, serving files the test publishes
 * at the commits it chooses: {@code .onnx} files as LFS (302 to {@code /cdn/{sha256}} with
 * {@code X-Linked-Etag}), others as plain git files ({@code ETag} = git blob id). Records requests.
 * guard-onnx has a fuller one for the loader's own tests; this one only has to serve the presets.
 */
final class LoopbackHub implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Map<String, byte[]>> files = new ConcurrentHashMap<>(); // "repo@commit" -> path -> bytes
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    LoopbackHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void publish(String repo, String commit, Map<String, byte[]> content) {
        files.put(repo + "@" + commit, Map.copyOf(content));
        content.values().forEach(b -> blobs.put(hash("SHA-256", b, null), b));
    }

    /** "METHOD /raw/path" of every request so far. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    void clearRequests() {
        requests.clear();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String raw = ex.getRequestURI().getRawPath();
            requests.add(ex.getRequestMethod() + " " + raw);
            if (raw.startsWith("/cdn/")) {
                byte[] b = blobs.get(raw.substring(5));
                send(ex, b == null ? 404 : 200, b);
                return;
            }
            String[] p = raw.split("/", 6);
            if (p.length < 6 || !p[3].equals("resolve")) {
                send(ex, 404, null);
                return;
            }
            String commit = URLDecoder.decode(p[4], StandardCharsets.UTF_8);
            Map<String, byte[]> repo = files.get(p[1] + "/" + p[2] + "@" + commit);
            if (repo == null) {
                ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
                send(ex, 404, null);
                return;
            }
            String path = URLDecoder.decode(p[5], StandardCharsets.UTF_8);
            byte[] b = repo.get(path);
            ex.getResponseHeaders().set("X-Repo-Commit", commit);
            if (b == null) {
                ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
                send(ex, 404, null);
                return;
            }
            if (path.endsWith(".onnx")) {
                String sha = hash("SHA-256", b, null);
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", Integer.toString(b.length));
                ex.getResponseHeaders().set("Location", endpoint() + "/cdn/" + sha);
                send(ex, 302, null);
                return;
            }
            ex.getResponseHeaders().set("ETag", "\"" + hash("SHA-1", b, ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII)) + "\"");
            send(ex, 200, ex.getRequestMethod().equals("HEAD") ? null : b);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body == null ? -1 : body.length);
        if (body != null) {
            ex.getResponseBody().write(body);
        }
    }

    private static String hash(String algorithm, byte[] b, byte[] prefix) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) {
                md.update(prefix);
            }
            return HexFormat.of().formatHex(md.digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
