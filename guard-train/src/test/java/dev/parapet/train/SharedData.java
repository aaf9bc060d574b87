package dev.parapet.train;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shared datasets beside the repository ({@code ../shared/datasets}); tests that need them skip when absent. */
final class SharedData {
    private SharedData() {
    }

    static Path datasets() {
        String configured = System.getProperty("parapet.datasets");
        Path dir = configured != null ? Path.of(configured)
                // tests run in guard-train/, the repository root is its parent, shared/ sits beside the repository
                : Path.of("").toAbsolutePath().getParent().getParent().resolve("shared").resolve("datasets");
        assumeTrue(Files.isDirectory(dir.resolve("toxicity")), "shared datasets not found at " + dir
                + " (a clone without ../shared): skipping tests that train on them");
        return dir;
    }
}
