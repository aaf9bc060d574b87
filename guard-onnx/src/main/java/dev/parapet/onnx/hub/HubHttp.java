package dev.parapet.onnx.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hub's HTTP protocol: a HEAD on {@code {endpoint}/{repo}/resolve/{revision}/{path}} tells the
 * commit ({@code X-Repo-Commit}), the content hash ({@code X-Linked-Etag} for LFS files, else
 * {@code ETag}), the size ({@code X-Linked-Size}, else {@code Content-Length}) and, for LFS files,
 * the CDN address to download from ({@code Location} of a redirect). A GET fetches the bytes,
 * resuming with {@code Range} when part of them is already on disk.
 *
 * <p>Redirects are followed by hand: the HEAD follows only relative ones (a renamed repository), as
 * huggingface_hub does, so that an LFS file's metadata comes from the hub and not from the CDN; the
 * GET follows any, and the token goes only to the endpoint's own origin.
 */
final class HubHttp {
    private static final Logger log = LoggerFactory.getLogger(HubHttp.class);
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final String USER_AGENT = "parapet-hub/0.1; java/" + Runtime.version().feature();

    /** What a HEAD told about a file. {@code size} is -1 when the hub did not say. */
    record Remote(URI url, URI location, String commit, String etag, long size) {
    }

    private final HubOptions options;
    private final HttpClient client;

    HubHttp(HubOptions options) {
        this.options = options;
        this.client = HttpClient.newBuilder()
                .connectTimeout(options.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        URI ep = options.endpoint();
        if (options.token().isPresent() && "http".equalsIgnoreCase(ep.getScheme()) && !isLoopback(ep.getHost())) {
            log.warn("the hub token will be sent in clear text to {}: use an https endpoint", ep);
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
    }

    URI resolveUrl(FileRef f) {
        return URI.create(options.endpoint() + "/" + f.repo().id() + "/resolve/" + RepoPaths.encodeSegment(f.revision())
                + "/" + RepoPaths.encodePath(f.path()));
    }

    /**
     * Asks the hub about a file.
     *
     * @throws IOException   when the hub cannot be reached (the caller may fall back to the cache)
     * @throws HubException  when the hub answered with an error or an answer that cannot be used
     */
    Remote head(FileRef f) throws IOException {
        URI url = resolveUrl(f);
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> r = send(request(current).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
            int status = r.statusCode();
            if (status >= 300 && status < 400) {
                String location = r.headers().firstValue("Location").orElseThrow(() -> new HubException(HubException.Reason.PROTOCOL, status,
                        "the hub answered " + status + " for " + f + " without a Location header", null));
                URI target = current.resolve(location);
                if (isRelative(location)) {
                    current = target; // renamed or moved repository on the same hub
                    continue;
                }
                return metadata(f, url, target, r.headers());
            }
            if (status >= 200 && status < 300) {
                return metadata(f, url, current, r.headers());
            }
            throw error(f, current, status, r.headers());
        }
        throw new HubException(HubException.Reason.PROTOCOL, "more than " + MAX_REDIRECTS + " redirects for " + f + " starting at " + url);
    }

    private Remote metadata(FileRef f, URI url, URI location, HttpHeaders h) {
        String commit = h.firstValue("X-Repo-Commit").map(String::trim).orElse(null);
        if (commit == null || commit.isEmpty()) {
            throw new HubException(HubException.Reason.PROTOCOL, "the answer for " + f + " from " + url + " has no X-Repo-Commit header; "
                    + "is " + options.endpoint() + " a Hugging Face hub (HF_ENDPOINT)?");
        }
        if (!RepoPaths.isCommit(commit)) {
            throw new HubException(HubException.Reason.UNSAFE_NAME, "the hub named commit '" + abbreviate(commit) + "' for " + f
                    + ", which is not a 40-hex commit id; refusing to use it as a cache directory name");
        }
        String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).map(HubHttp::normaliseEtag).orElse(null);
        if (etag == null || etag.isEmpty()) {
            throw new HubException(HubException.Reason.PROTOCOL, "the answer for " + f + " from " + url + " has no ETag; "
                    + "without it the download cannot be verified or cached");
        }
        if (!RepoPaths.isEtag(etag)) {
            throw new HubException(HubException.Reason.UNSAFE_NAME, "the hub's ETag '" + abbreviate(etag) + "' for " + f
                    + " is neither a sha256 nor a git blob id; refusing to use it as a cache file name");
        }
        long size = parseLong(h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length"))).orElse(-1);
        return new Remote(url, location, commit, etag, size);
    }

    /**
     * Downloads {@code remote} ({@code f} names it at its commit) into {@code partial}, continuing
     * after the bytes already there when the server honours a Range request, starting over when it
     * does not.
     *
     * @throws IOException  when the connection fails, breaks off or stalls; what arrived stays in
     *                      {@code partial} for the next attempt
     */
    void download(FileRef f, Remote remote, Path partial) throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (remote.size() >= 0 && have > remote.size()) {
            Files.delete(partial);
            have = 0;
        }
        if (remote.size() >= 0 && have == remote.size() && have > 0) {
            return; // a previous attempt got everything but did not get to move it into place
        }
        boolean retriedFromScratch = false;
        // Not redirected (a plain git file): ask at the commit, so a branch that moves meanwhile cannot change the bytes.
        URI current = remote.location().equals(remote.url()) ? resolveUrl(f) : remote.location();
        for (int hop = 0; hop <= MAX_REDIRECTS; ) {
            HttpRequest.Builder rb = request(current).GET();
            if (have > 0) {
                rb.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> r = send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = r.statusCode();
            if (status >= 300 && status < 400) {
                r.body().close();
                String location = r.headers().firstValue("Location").orElseThrow(() -> new HubException(HubException.Reason.PROTOCOL, status,
                        "the download of " + f + " was redirected (" + status + ") without a Location header", null));
                current = current.resolve(location);
                hop++;
                continue;
            }
            if (status == 416 && have > 0 && !retriedFromScratch) {
                // The partial file does not fit what the server holds: start over.
                r.body().close();
                Files.deleteIfExists(partial);
                have = 0;
                retriedFromScratch = true;
                continue;
            }
            if (status == 206) {
                long start = r.headers().firstValue("Content-Range").map(CONTENT_RANGE::matcher)
                        .filter(Matcher::matches).map(m -> Long.parseLong(m.group(1))).orElse(-1L);
                if (start != have) {
                    r.body().close();
                    if (retriedFromScratch) {
                        String range = r.headers().firstValue("Content-Range").orElse("no Content-Range");
                        throw new HubException(HubException.Reason.PROTOCOL, 206, "the server answered the download of " + f
                                + " with a partial content that does not start where asked (" + range + ")", null);
                    }
                    Files.deleteIfExists(partial);
                    have = 0;
                    retriedFromScratch = true;
                    continue;
                }
                copy(f, r.body(), partial, true, have, remote.size());
                return;
            }
            if (status == 200) {
                if (have > 0) {
                    log.info("{}: the server does not resume downloads; starting over", f);
                }
                copy(f, r.body(), partial, false, 0, remote.size());
                return;
            }
            r.body().close();
            throw error(f, current, status, r.headers());
        }
        throw new HubException(HubException.Reason.PROTOCOL, "more than " + MAX_REDIRECTS + " redirects downloading " + f);
    }

    /** Streams a body into the partial file, closing the body when nothing arrives for the timeout. */
    private void copy(FileRef f, InputStream body, Path partial, boolean append, long have, long size) throws IOException {
        long timeoutNanos = options.timeout().toNanos();
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "parapet-hub-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(10, options.timeout().toMillis() / 4);
        watchdog.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastProgress.get() > timeoutNanos && stalled.compareAndSet(false, true)) {
                try {
                    body.close();
                } catch (IOException ignored) {
                    // closing is all we can do; the reader sees the failure
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        long written = have;
        try (InputStream in = body;
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (stalled.get()) {
                    break;
                }
                lastProgress.set(System.nanoTime());
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                written += n;
            }
            if (stalled.get()) {
                throw new IOException("no data for " + options.timeout().toMillis() + " ms");
            }
        } catch (IOException e) {
            if (stalled.get()) {
                throw new StalledException("the download of " + f + " stalled after " + written + (size >= 0 ? " of " + size : "")
                        + " bytes: nothing arrived for " + options.timeout().toMillis() + " ms", e);
            }
            throw e;
        } finally {
            watchdog.shutdownNow();
        }
    }

    /** A download that stopped receiving data; an IOException so callers treat it as a broken connection. */
    static final class StalledException extends IOException {
        private static final long serialVersionUID = 1L;

        StalledException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(options.timeout()).header("User-Agent", USER_AGENT);
        Optional<String> token = options.token();
        if (token.isPresent() && sameOrigin(uri, options.endpoint())) {
            b.header("Authorization", "Bearer " + token.get());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Reason.UNREACHABLE, "interrupted while talking to " + request.uri().getHost(), e);
        }
    }

    private HubException error(FileRef f, URI url, int status, HttpHeaders h) {
        String code = h.firstValue("X-Error-Code").orElse("");
        String serverSays = h.firstValue("X-Error-Message").map(m -> " (the hub says: " + abbreviate(m) + ")").orElse("");
        boolean hasToken = options.token().isPresent();
        switch (status) {
            case 401:
                return new HubException(HubException.Reason.AUTHENTICATION, status, f.repo().id() + " answered 401 Unauthorized for " + f + serverSays + ": "
                        + (hasToken
                        ? "the token was not accepted; check that it is valid and not expired (HF_TOKEN or HubOptions.builder().token(...))."
                        : "the repository is gated or private, or does not exist (the hub says 401 to anonymous callers for both). "
                        + "Set a token: the HF_TOKEN environment variable, or HubOptions.builder().token(...) / HubModelSource.builder().token(...)."),
                        null);
            case 403:
                return new HubException(HubException.Reason.AUTHENTICATION, status, f.repo().id() + " answered 403 Forbidden for " + f + serverSays + ": "
                        + (hasToken
                        ? "the token's account has no access; for a gated model accept its conditions on https://huggingface.co/" + f.repo().id()
                        + " with that account, and use a token with read access."
                        : "the repository is gated. Accept its conditions on https://huggingface.co/" + f.repo().id()
                        + " and set a token: HF_TOKEN or HubOptions.builder().token(...)."),
                        null);
            case 404: {
                String what;
                if (code.equals("RevisionNotFound")) {
                    what = "revision '" + f.revision() + "' does not exist in " + f.repo().id() + "; check the branch, tag or commit";
                } else if (code.equals("RepoNotFound")) {
                    what = "repository " + f.repo().id() + " does not exist (or is private: set a token)";
                } else {
                    what = "file '" + f.path() + "' does not exist in " + f.repo().id() + " at revision " + f.revision()
                            + "; check the file name and subfolder (e.g. onnx/model.onnx)";
                }
                return new HubException(HubException.Reason.NOT_FOUND, status, "404 Not Found from " + url + ": " + what + serverSays, null);
            }
            default:
                if (status == 429 || status >= 500) {
                    return new HubException(HubException.Reason.UNREACHABLE, status, url.getHost() + " answered " + status + " for " + f + serverSays
                            + "; try again later, or use a filled cache with offline mode (HF_HUB_OFFLINE=1 or offline(true))", null);
                }
                return new HubException(HubException.Reason.PROTOCOL, status,
                        url.getHost() + " answered " + status + " for " + f + " (" + url + ")" + serverSays, null);
        }
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** A Location without scheme and host, e.g. {@code /new-org/new-name/resolve/main/config.json}. */
    private static boolean isRelative(String location) {
        try {
            URI u = URI.create(location.trim());
            return u.getScheme() == null && u.getRawAuthority() == null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code W/"abc"} and {@code "abc"} are both {@code abc}. */
    static String normaliseEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/") || e.startsWith("w/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e; // verbatim: the blob is named exactly as huggingface_hub names it
    }

    private static OptionalLong parseLong(Optional<String> v) {
        try {
            return v.isPresent() ? OptionalLong.of(Long.parseLong(v.get().trim())) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\p{Cntrl}", "?");
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
