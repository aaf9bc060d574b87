package dev.parapet.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds {@code ../shared/datasets} (beside the repository) and this module's target folder, from wherever a program runs. */
final class Datasets {
    private Datasets() {
    }

    /** {@code datasets/<relative>} under ../shared, looked up from the working directory and its parents. */
    static Path find(String relative) {
        return tryFind(relative).orElseThrow(() -> new IllegalArgumentException(
                "cannot find ../shared/datasets/" + relative + " from " + Path.of("").toAbsolutePath() + "; pass --data PATH"));
    }

    static Optional<Path> tryFind(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("datasets").resolve(relative);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** guard-reliability/target, whether the program runs from the repository root or the module. */
    static Path moduleTarget() {
        Path here = Path.of("").toAbsolutePath();
        if (Files.isDirectory(here.resolve("guard-reliability"))) {
            return here.resolve("guard-reliability").resolve("target");
        }
        return here.resolve("target");
    }
}
