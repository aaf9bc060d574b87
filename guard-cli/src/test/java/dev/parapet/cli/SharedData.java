package dev.parapet.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shared datasets beside the repository ({@code ../shared/datasets}); tests that need them skip when absent. */
final class SharedData {
    private SharedData() {
    }

    static Path datasets() {
        String configured = System.getProperty("parapet.datasets");
        // tests run in guard-cli/; the repository root is its parent and shared/ sits beside the repository
        Path dir = configured != null ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent().getParent().resolve("shared").resolve("datasets");
        assumeTrue(Files.isDirectory(dir.resolve("refusal")) && Files.isDirectory(dir.resolve("toxicity")),
                "shared datasets not found at " + dir + " (a clone without ../shared): skipping");
        return dir;
    }
}
