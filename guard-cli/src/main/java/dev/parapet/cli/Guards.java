package dev.parapet.cli;

import dev.parapet.core.Guard;
import dev.parapet.core.Scanner;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.RuntimeOptions;
import dev.parapet.scanners.GuardConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the scanners of {@code scan} and {@code bench} come from: a configuration file or the default models. */
final class Guards {
    private Guards() {
    }

    /** {@code config} loaded with {@link GuardConfig#load}, or the default guard when {@code null}. */
    static Guard load(Path config) {
        return load(config, null);
    }

    /**
     * @param options runtime options for the default models ({@code null}: their defaults); a configuration
     *                file's models use the library defaults
     */
    static Guard load(Path config, RuntimeOptions options) {
        if (config != null) {
            if (!Files.isRegularFile(config)) {
                throw new CliException("configuration file " + config + " does not exist");
            }
            return GuardConfig.load(config);
        }
        if (options == null) {
            return DefaultModels.guard();
        }
        try (DefaultModels models = DefaultModels.load(options, DefaultModels.DEFAULT_WINDOW_TOKENS)) {
            // the arrangement and budget of DefaultModels.guard(), on these runtime options
            return models.guardBuilder().scannerTimeout(DefaultModels.DEFAULT_SCANNER_TIMEOUT).build();
        }
    }

    /** E.g. {@code prompt[toxicity] output[toxicity, refusal, preference]}. */
    static String describe(Guard guard) {
        return "prompt" + names(guard.inputScanners()) + " output" + names(guard.outputScanners());
    }

    private static List<String> names(List<Scanner> scanners) {
        List<String> n = new ArrayList<>();
        scanners.forEach(s -> n.add(s.name()));
        return n;
    }
}
