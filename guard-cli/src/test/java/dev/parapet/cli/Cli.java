package dev.parapet.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs {@code parapet} in-process and keeps what it printed. */
final class Cli {
    /** Exit status, stdout and stderr of one run. */
    record Run(int code, String out, String err) {
        /** stderr without progress-bar redraws (lines drawn with carriage returns). */
        String errLines() {
            StringBuilder sb = new StringBuilder();
            for (String line : err.split("\n", -1)) {
                if (!line.contains("\r") && !line.isEmpty()) {
                    sb.append(line).append('\n');
                }
            }
            return sb.toString();
        }
    }

    private Cli() {
    }

    static Run run(String... args) {
        return run(Map.of(), args);
    }

    static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Parapet.run(args, o, e, env);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
