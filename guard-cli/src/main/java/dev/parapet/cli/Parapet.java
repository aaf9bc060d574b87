package dev.parapet.cli;

import dev.parapet.core.ParapetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code parapet} command: {@code scan}, {@code eval}, {@code train}, {@code label} and
 * {@code bench}. Results go to stdout, progress bars and errors to stderr; exit status 0 on
 * success (for {@code scan}: every exchange allowed), 1 when {@code scan} blocked something, 2 on a
 * usage or input error and 3 on an internal error, each error with a one-line reason on stderr.
 *
 * <p>{@link #run(String[], PrintStream, PrintStream)} runs a command in-process (tests, embedding);
 * {@link #main(String[])} is the launcher's entry point.
 */
@Command(name = "parapet",
        mixinStandardHelpOptions = true,
        versionProvider = Parapet.Version.class,
        description = "Parapet guardrails from the command line: scan exchanges, evaluate and train models, "
                + "label data with an LLM judge, benchmark scanners.",
        subcommands = {ScanCommand.class, EvalCommand.class, TrainCommand.class, LabelCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nExit status:%n",
        footer = {"  0  success (scan: every exchange allowed)",
                "  1  scan: at least one exchange blocked",
                "  2  usage or input error (one-line reason on stderr)",
                "  3  internal error",
                "",
                "Example:",
                "  parapet scan --prompt 'How do I bake bread?' --output 'You are an idiot.'"})
public final class Parapet implements Callable<Integer> {
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;

    @Spec
    CommandSpec spec;

    Parapet(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.env = Map.copyOf(env);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line and returns its exit status; output to {@code out}, progress and errors to {@code err}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System.getenv());
    }

    /** As {@link #run(String[], PrintStream, PrintStream)} with the environment variables the command sees (API keys). */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        applyDefaults();
        Parapet root = new Parapet(out, err, env);
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, argv) -> {
            CommandLine cmd = ex.getCommandLine();
            err.println(cmd.getCommandName().equals("parapet") ? "parapet: " + oneLine(ex.getMessage())
                    : "parapet " + cmd.getCommandName() + ": " + oneLine(ex.getMessage()) + " (see parapet "
                    + cmd.getCommandName() + " --help)");
            err.flush();
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> handle(ex, cmd, err));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The one-line reason and the exit status for what a command threw. */
    static int handle(Exception ex, CommandLine cmd, PrintStream err) {
        String who = cmd.getCommandName().equals("parapet") ? "parapet" : "parapet " + cmd.getCommandName();
        int code;
        String message;
        if (ex instanceof CliException c) {
            code = c.exitCode();
            message = c.getMessage();
        } else if (ex instanceof ParapetException || ex instanceof IllegalArgumentException) {
            // configuration, model and data problems: the message names the file, entry or setting to change
            code = ExitCodes.USAGE;
            message = ex.getMessage();
        } else if (ex instanceof UncheckedIOException u && u.getCause() instanceof FileSystemException f) {
            code = ExitCodes.USAGE;
            message = (u.getMessage() == null ? "" : u.getMessage() + ": ") + f.getClass().getSimpleName() + " " + f.getFile();
        } else if (ex instanceof IOException || ex instanceof UncheckedIOException) {
            code = ExitCodes.USAGE;
            message = ex.getMessage();
        } else {
            code = ExitCodes.INTERNAL;
            message = "internal error: " + ex.getClass().getName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
        }
        err.println(who + ": " + oneLine(message == null ? ex.getClass().getName() : message));
        Object command = cmd.getCommand();
        if (command instanceof HasCommonOptions h && h.common().debug) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Settings that must hold before DJL, AWT or SLF4J load, each only where the user set nothing:
     * DJL's tokenizer must not call home nor fetch a CUDA build (README, "Offline by construction"),
     * charts render without a display, and libraries log WARN and above to stderr.
     */
    static void applyDefaults() {
        setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
        setIfAbsent("RUST_FLAVOR", "RUST_FLAVOR", "cpu");
        setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
        setIfAbsent("java.awt.headless", null, "true");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", null, "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", null, "System.err");
        // DJL probes for CUDA even when told to use its CPU build, and warns on hosts with a mismatched driver
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", null, "error");
    }

    private static void setIfAbsent(String property, String env, String value) {
        if (System.getProperty(property) == null && (env == null || System.getenv(env) == null)) {
            System.setProperty(property, value);
        }
    }

    @Override
    public Integer call() {
        err.println("parapet: a subcommand is required: scan, eval, train, label or bench (see parapet --help)");
        return ExitCodes.USAGE;
    }

    /** Commands that carry {@link CommonOptions}. */
    interface HasCommonOptions {
        CommonOptions common();
    }

    /** The project version, from the filtered {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = Parapet.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // no version to show is not worth failing --version over
            }
            return new String[]{"parapet " + p.getProperty("version", "(unknown version)")};
        }
    }
}
