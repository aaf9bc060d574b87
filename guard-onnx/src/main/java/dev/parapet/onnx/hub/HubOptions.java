package dev.parapet.onnx.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where models come from and where they are kept: the hub endpoint, the cache directory, the access
 * token, offline mode and the network timeout. Immutable; shared by every {@link HubModelSource}
 * that is given it.
 *
 * <p>Defaults follow Python's {@code huggingface_hub}, read from the environment when the builder is
 * made, so a machine set up for {@code huggingface-cli} needs no configuration here:
 * <table>
 *   <caption>Environment variables read</caption>
 *   <tr><th>setting</th><th>variables, first one set wins</th><th>default</th></tr>
 *   <tr><td>{@link #endpoint()}</td><td>{@code HF_ENDPOINT}</td><td>{@code https://huggingface.co}</td></tr>
 *   <tr><td>{@link #cacheDirectory()}</td><td>{@code HF_HUB_CACHE}, {@code HUGGINGFACE_HUB_CACHE},
 *       {@code HF_HOME}/hub, {@code XDG_CACHE_HOME}/huggingface/hub</td><td>{@code ~/.cache/huggingface/hub}</td></tr>
 *   <tr><td>{@link #token()}</td><td>{@code HF_TOKEN}, {@code HUGGING_FACE_HUB_TOKEN}, then the file
 *       {@code HF_TOKEN_PATH} or {@code HF_HOME/token} that {@code huggingface-cli login} writes</td><td>none</td></tr>
 *   <tr><td>{@link #offline()}</td><td>{@code HF_HUB_OFFLINE} ({@code 1}, {@code true}, {@code yes}, {@code on})</td><td>false</td></tr>
 * </table>
 * Explicit builder settings win over the environment.
 *
 * <pre>{@code
 * HubOptions options = HubOptions.builder().offline(true).build();          // cache only, never the network
 * HubOptions mirror  = HubOptions.builder().endpoint(URI.create("https://hub.example.internal")).build();
 * }</pre>
 *
 * <p>The token is sent only to the endpoint's own host (never to the CDN a large file redirects to)
 * and never logged; {@link #toString()} masks it.
 */
public final class HubOptions {
    /** The public hub. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    /** Connect and answer timeout, and the longest a download may go without receiving a byte; as huggingface_hub's 10 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final URI endpoint;
    private final Path cacheDirectory;
    private final String token;
    private final boolean offline;
    private final Duration timeout;

    private HubOptions(Builder b) {
        this.endpoint = b.endpoint;
        this.cacheDirectory = b.cacheDirectory;
        this.token = b.token;
        this.offline = b.offline;
        this.timeout = b.timeout;
    }

    /** Settings from the process environment ({@link System#getenv()}), nothing overridden. */
    public static HubOptions defaults() {
        return builder().build();
    }

    /** A builder starting from the process environment. */
    public static Builder builder() {
        return builder(System.getenv());
    }

    /**
     * A builder starting from the given environment instead of the process's: for applications that
     * keep their settings elsewhere, and for tests that must not see the machine's configuration.
     */
    public static Builder builder(Map<String, String> environment) {
        return new Builder(Objects.requireNonNull(environment, "environment"));
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The hub's base URL; files resolve at {@code {endpoint}/{repo}/resolve/{revision}/{path}}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The huggingface_hub cache root, holding {@code models--org--name} folders. */
    public Path cacheDirectory() {
        return cacheDirectory;
    }

    /** The access token for gated and private repositories, when one is set. */
    public Optional<String> token() {
        return Optional.ofNullable(token);
    }

    /** When true, only the cache is used and no connection is ever opened. */
    public boolean offline() {
        return offline;
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public String toString() {
        return "HubOptions{endpoint=" + endpoint + ", cacheDirectory=" + cacheDirectory + ", token=" + (token == null ? "none" : "***")
                + ", offline=" + offline + ", timeout=" + timeout + '}';
    }

    /** Settings for {@link HubOptions}; each setter validates at once and names the setting. */
    public static final class Builder {
        private URI endpoint;
        private Path cacheDirectory;
        private String token;
        private boolean offline;
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder(Map<String, String> env) {
            String ep = value(env, "HF_ENDPOINT");
            this.endpoint = ep == null ? DEFAULT_ENDPOINT : checkEndpoint(URI.create(ep.trim()), "HF_ENDPOINT");
            this.cacheDirectory = defaultCache(env);
            this.offline = isTrue(value(env, "HF_HUB_OFFLINE"));
            String t = value(env, "HF_TOKEN");
            if (t == null) {
                t = value(env, "HUGGING_FACE_HUB_TOKEN");
            }
            this.token = t != null ? t.trim() : tokenFile(env);
        }

        private Builder(HubOptions o) {
            this.endpoint = o.endpoint;
            this.cacheDirectory = o.cacheDirectory;
            this.token = o.token;
            this.offline = o.offline;
            this.timeout = o.timeout;
        }

        /** The hub (or a mirror) to ask; http or https, no query. Default {@code HF_ENDPOINT} or {@link #DEFAULT_ENDPOINT}. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = checkEndpoint(Objects.requireNonNull(endpoint, "endpoint"), "endpoint");
            return this;
        }

        /** The cache root (the folder holding {@code models--org--name}). */
        public Builder cacheDirectory(Path cacheDirectory) {
            this.cacheDirectory = Objects.requireNonNull(cacheDirectory, "cacheDirectory");
            return this;
        }

        /** Access token for gated or private repositories; {@code null} sends none even if the environment has one. */
        public Builder token(String token) {
            if (token != null && (token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
                throw new IllegalArgumentException("token must be printable ASCII without spaces (as the hub issues them)");
            }
            this.token = token;
            return this;
        }

        /** Cache only: never open a connection, fail with the missing file's name when it is not cached. */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** Connect/answer timeout, and how long a download may receive nothing before it counts as stalled. */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        public HubOptions build() {
            return new HubOptions(this);
        }

        private static URI checkEndpoint(URI uri, String setting) {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) {
                throw new IllegalArgumentException(setting + " must be an http(s) URL such as https://huggingface.co, got '" + uri + "'");
            }
            if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException(setting + " must be a plain base URL (host, optional port and path), got '" + uri + "'");
            }
            String s = uri.toString();
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            return URI.create(s);
        }

        private static Path defaultCache(Map<String, String> env) {
            String hubCache = value(env, "HF_HUB_CACHE");
            if (hubCache == null) {
                hubCache = value(env, "HUGGINGFACE_HUB_CACHE");
            }
            if (hubCache != null) {
                return expand(hubCache);
            }
            return hfHome(env).resolve("hub");
        }

        private static Path hfHome(Map<String, String> env) {
            String home = value(env, "HF_HOME");
            if (home != null) {
                return expand(home);
            }
            String xdg = value(env, "XDG_CACHE_HOME");
            Path cache = xdg != null ? expand(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            return cache.resolve("huggingface");
        }

        /** What {@code huggingface-cli login} saved, if anything; an unreadable file counts as no token. */
        private static String tokenFile(Map<String, String> env) {
            String explicit = value(env, "HF_TOKEN_PATH");
            Path file = explicit != null ? expand(explicit) : hfHome(env).resolve("token");
            try {
                if (Files.isRegularFile(file)) {
                    String t = Files.readString(file, StandardCharsets.UTF_8).trim();
                    return t.isEmpty() ? null : t;
                }
            } catch (IOException | SecurityException e) {
                return null;
            }
            return null;
        }

        private static Path expand(String path) {
            String p = path.trim();
            if (p.equals("~") || p.startsWith("~/")) {
                p = System.getProperty("user.home") + p.substring(1);
            }
            return Path.of(p);
        }

        private static String value(Map<String, String> env, String name) {
            String v = env.get(name);
            return v == null || v.isBlank() ? null : v;
        }

        private static boolean isTrue(String v) {
            if (v == null) {
                return false;
            }
            String s = v.trim().toUpperCase(Locale.ROOT);
            return s.equals("1") || s.equals("ON") || s.equals("YES") || s.equals("TRUE");
        }
    }
}
