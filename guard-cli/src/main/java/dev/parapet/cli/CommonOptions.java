package dev.parapet.cli;

import picocli.CommandLine.Option;

/** Options every subcommand has. */
public final class CommonOptions {
    @Option(names = "--no-progress", description = "Do not draw the progress bar on stderr.")
    boolean noProgress;

    @Option(names = "--debug", description = "On an error, print the stack trace after the one-line reason.")
    boolean debug;
}
