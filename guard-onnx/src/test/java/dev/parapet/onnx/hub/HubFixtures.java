package dev.parapet.onnx.hub;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

/** Shared settings for the hub tests: a private HF_HOME (never the machine's), the loopback hub, short timeouts. */
final class HubFixtures {
    static final String REPO = "acme/refusal-onnx";

    private HubFixtures() {
    }

    static HubOptions.Builder options(FakeHub hub, Path home) {
        return HubOptions.builder(Map.of("HF_HOME", home.toString())).endpoint(hub.endpoint()).timeout(Duration.ofSeconds(5));
    }

    /** An endpoint where nothing listens: a port taken and released, so connections are refused at once. */
    static java.net.URI deadEndpoint() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return java.net.URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Path cacheOf(Path home) {
        return home.resolve("hub");
    }

    static Duration shortTimeout() {
        return Duration.ofMillis(700);
    }
}
