package dev.parapet.cli;

import dev.parapet.onnx.ExecutionProvider;
import dev.parapet.onnx.RuntimeOptions;
import picocli.CommandLine.Option;

/**
 * {@code --provider} and {@code --strict-provider}: where the models named on the command line (the
 * default models, {@code --model} directories) run. A configuration file sets its own in its
 * {@code runtime} block (docs/configuration.md).
 */
public final class ProviderOptions {
    @Option(names = "--provider", paramLabel = "P",
            description = "Where the default models (and --model directories) run: cpu, cuda or cuda:N (default: cpu). "
                    + "Without a usable CUDA device, CUDA falls back to the CPU with one warning (see docs/gpu.md on when CUDA pays).")
    String provider;

    @Option(names = "--strict-provider", description = "With --provider cuda: fail instead of falling back to the CPU.")
    boolean strict;

    /** Whether either option was given. */
    boolean given() {
        return provider != null || strict;
    }

    /** {@code base} with the provider and strictness asked for; {@code base} itself when neither was given. */
    RuntimeOptions.Builder apply(RuntimeOptions.Builder base) {
        if (provider != null) {
            try {
                base.provider(ExecutionProvider.parse(provider));
            } catch (IllegalArgumentException e) {
                throw new CliException("--provider: " + e.getMessage());
            }
        }
        return base.strictProvider(strict);
    }

    /** The library defaults with these options, or {@code null} when neither was given. */
    RuntimeOptions optionsOrNull() {
        return given() ? apply(RuntimeOptions.builder()).build() : null;
    }

    /** Fails when these options are given together with a configuration file, which sets its own. */
    void rejectWithConfig(Object config) {
        if (given() && config != null) {
            throw new CliException("--provider and --strict-provider set the default models' provider; a configuration file "
                    + "sets its own in its runtime block (docs/configuration.md)");
        }
    }
}
