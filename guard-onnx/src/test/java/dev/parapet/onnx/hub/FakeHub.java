package dev.parapet.onnx.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback imitation of the hub's file-resolution endpoints, for tests only:
 * {@code HEAD/GET /{org}/{name}/resolve/{revision}/{path}}. Plain files answer 200 with a quoted
 * git-blob-sha1 {@code ETag}; LFS files (weights, and anything over 10 MB) answer a 302
 * to {@code /cdn/{sha256}} with {@code X-Linked-Etag} and {@code X-Linked-Size}, and the CDN honours
 * {@code Range}. Errors carry {@code X-Error-Code} as the hub's do. Every request is recorded, and
 * faults (corruption, broken or stalled bodies, hostile headers) can be switched on.
 */
final class FakeHub implements AutoCloseable {
    /** The hub stores large files in LFS (10 MB is where it stops accepting plain git files); weights always. */
    static final int LFS_THRESHOLD = 10 * 1024 * 1024;
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    record Request(String method, String path, String range, String authorization) {
    }

    private record Repo(Map<String, Map<String, byte[]>> commits, Map<String, String> refs) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> gated = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> headerOverrides = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicInteger breakBodies = new AtomicInteger();
    private volatile long breakAfter;
    private volatile boolean corrupt;
    private volatile boolean ignoreRange;
    private volatile int failStatus;
    private volatile CountDownLatch stall;
    private volatile long stallAfter;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Publishes a commit holding {@code files} and points {@code branch} at it; returns the commit id. */
    String publish(String repo, String branch, Map<String, byte[]> files) {
        String commit = sha1(("commit " + repo + " " + commits.incrementAndGet()).getBytes(StandardCharsets.UTF_8));
        Repo r = repos.computeIfAbsent(repo, k -> new Repo(new ConcurrentHashMap<>(), new ConcurrentHashMap<>()));
        r.commits().put(commit, new LinkedHashMap<>(files));
        r.refs().put(branch, commit);
        for (byte[] content : files.values()) {
            blobs.put(sha256(content), content);
        }
        return commit;
    }

    /** Requires {@code token} for the repository: none → 401 GatedRepo, another → 403. */
    void gate(String repo, String token) {
        gated.put(repo, token);
    }

    /** Answers requests for {@code oldName} with a relative redirect to {@code newName}. */
    void rename(String oldName, String newName) {
        renamed.put(oldName, newName);
    }

    /** Replaces headers of HEAD answers for one file path (e.g. a hostile X-Repo-Commit). */
    void overrideHeaders(String path, Map<String, String> headers) {
        headerOverrides.put(path, headers);
    }

    /** The next {@code times} downloads send {@code afterBytes} bytes and then drop the connection. */
    void breakDownloads(int times, long afterBytes) {
        this.breakAfter = afterBytes;
        this.breakBodies.set(times);
    }

    /** Downloads send wrong bytes (one flipped near the end) under the right headers. */
    void corruptDownloads(boolean corrupt) {
        this.corrupt = corrupt;
    }

    /** The CDN ignores Range and always sends the whole file with 200. */
    void ignoreRange(boolean ignore) {
        this.ignoreRange = ignore;
    }

    /** Every request answers this status (0: normal service). */
    void failWith(int status) {
        this.failStatus = status;
    }

    /** Downloads send {@code afterBytes} bytes and then wait for the latch, holding the connection open. */
    void stallDownloads(long afterBytes, CountDownLatch release) {
        this.stallAfter = afterBytes;
        this.stall = release;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String method) {
        List<Request> out = new ArrayList<>();
        for (Request r : requests) {
            if (r.method().equals(method)) {
                out.add(r);
            }
        }
        return out;
    }

    void clearRequests() {
        requests.clear();
    }

    static String sha256(byte[] content) {
        return hex("SHA-256", content, null);
    }

    static String gitSha1(byte[] content) {
        return hex("SHA-1", content, ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    static boolean isLfs(String path, byte[] content) {
        return path.endsWith(".onnx") || path.endsWith(".bin") || content.length > LFS_THRESHOLD;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String rawPath = ex.getRequestURI().getRawPath();
            requests.add(new Request(ex.getRequestMethod(), rawPath, ex.getRequestHeaders().getFirst("Range"),
                    ex.getRequestHeaders().getFirst("Authorization")));
            if (failStatus != 0) {
                send(ex, failStatus, null);
                return;
            }
            if (rawPath.startsWith("/cdn/")) {
                serveBlob(ex, rawPath.substring("/cdn/".length()));
                return;
            }
            resolve(ex, rawPath);
        }
    }

    private void resolve(HttpExchange ex, String rawPath) throws IOException {
        String[] parts = rawPath.split("/", 6); // "", org, name, "resolve", revision, path
        if (parts.length < 6 || !parts[3].equals("resolve")) {
            send(ex, 404, null);
            return;
        }
        String repoId = parts[1] + "/" + parts[2];
        String revision = URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
        String path = URLDecoder.decode(parts[5], StandardCharsets.UTF_8);
        if (renamed.containsKey(repoId)) {
            ex.getResponseHeaders().set("Location", "/" + renamed.get(repoId) + "/resolve/" + parts[4] + "/" + parts[5]);
            send(ex, 307, null);
            return;
        }
        Repo repo = repos.get(repoId);
        String required = gated.get(repoId);
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (repo == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            ex.getResponseHeaders().set("X-Error-Message", "Repository Not Found for url");
            send(ex, 401, null);
            return;
        }
        if (required != null) {
            if (auth == null) {
                ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
                send(ex, 401, null);
                return;
            }
            if (!auth.equals("Bearer " + required)) {
                ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
                send(ex, 403, null);
                return;
            }
        }
        String commit = repo.commits().containsKey(revision) ? revision : repo.refs().get(revision);
        if (commit == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, null);
            return;
        }
        byte[] content = repo.commits().get(commit).get(path);
        Headers h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", commit);
        if (content == null) {
            h.set("X-Error-Code", "EntryNotFound");
            send(ex, 404, null);
            return;
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (isLfs(path, content)) {
            String sha = sha256(content);
            h.set("X-Linked-Etag", "\"" + sha + "\"");
            h.set("X-Linked-Size", Long.toString(content.length));
            h.set("ETag", "\"" + gitSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
            h.set("Location", endpoint() + "/cdn/" + sha);
            applyOverrides(h, path);
            send(ex, 302, null);
            return;
        }
        h.set("ETag", "\"" + gitSha1(content) + "\"");
        applyOverrides(h, path);
        if (head) {
            h.set("Content-Length", Integer.toString(content.length));
            send(ex, 200, null);
        } else {
            writeBody(ex, 200, content, 0, false);
        }
    }

    private void applyOverrides(Headers h, String path) {
        Map<String, String> o = headerOverrides.get(path);
        if (o != null) {
            o.forEach(h::set);
        }
    }

    private void serveBlob(HttpExchange ex, String sha) throws IOException {
        byte[] content = blobs.get(sha);
        if (content == null) {
            send(ex, 404, null);
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        long start = 0;
        if (range != null && !ignoreRange) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) {
                start = Long.parseLong(m.group(1));
                if (start >= content.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                    send(ex, 416, null);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
                writeBody(ex, 206, content, start, true);
                return;
            }
        }
        writeBody(ex, 200, content, 0, true);
    }

    /** Faults apply to CDN (LFS) bodies only, as the large downloads are where they happen. */
    private void writeBody(HttpExchange ex, int status, byte[] content, long start, boolean cdn) throws IOException {
        byte[] body = content;
        if (corrupt && cdn) {
            body = content.clone();
            body[body.length - 2] ^= 0x5a;
        }
        int from = (int) start;
        int length = body.length - from;
        if (ex.getRequestMethod().equals("HEAD")) {
            send(ex, status, null);
            return;
        }
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        CountDownLatch latch = cdn ? stall : null;
        if (latch != null) {
            int n = (int) Math.min(stallAfter, length);
            out.write(body, from, n);
            out.flush();
            try {
                latch.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stalled body abandoned");
        }
        if (cdn && breakBodies.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0) {
            int n = (int) Math.min(breakAfter, length);
            out.write(body, from, n);
            out.flush();
            throw new IOException("connection dropped on purpose"); // the server closes the connection mid-body
        }
        out.write(body, from, length);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body == null ? -1 : body.length);
        if (body != null) {
            ex.getResponseBody().write(body);
        }
    }

    private static String sha1(byte[] b) {
        return hex("SHA-1", b, null);
    }

    private static String hex(String algorithm, byte[] content, byte[] prefix) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) {
                md.update(prefix);
            }
            return HexFormat.of().formatHex(md.digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        CountDownLatch latch = stall;
        if (latch != null) {
            latch.countDown();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
