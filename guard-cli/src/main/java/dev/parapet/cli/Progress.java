package dev.parapet.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

/**
 * A progress bar on stderr with the count, the rate and the time left (me.tongfei's progressbar),
 * or nothing when switched off. Thread-safe: workers may {@link #step()} at once.
 */
final class Progress implements AutoCloseable {
    private static final Progress NONE = new Progress(null);
    /** Work smaller than this ends before a bar would tell anything. */
    static final int MIN_ITEMS = 50;

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /**
     * @param unit what is counted, e.g. {@code "rows"}; the rate is shown per second in this unit
     * @param enabled false for {@code --no-progress}
     */
    static Progress start(PrintStream err, String task, long total, String unit, boolean enabled) {
        return start(err, task, total, unit, enabled, MIN_ITEMS);
    }

    /** As above, drawn only for at least {@code minItems} items (slow items, like LLM calls, deserve a bar sooner). */
    static Progress start(PrintStream err, String task, long total, String unit, boolean enabled, int minItems) {
        if (!enabled || total <= 0 || total < minItems) {
            return NONE;
        }
        // Without a console the bar is redrawn with carriage returns at a slower pace, and at a fixed width
        // (asking jline for the width of a pipe is pointless).
        boolean console = System.console() != null && err == System.err;
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" " + unit, 1)
                .showSpeed(new DecimalFormat("0.0", DecimalFormatSymbols.getInstance(Locale.ROOT)))
                .setUpdateIntervalMillis(console ? 200 : 1000)
                .setConsumer(console ? new ConsoleProgressBarConsumer(err) : new ConsoleProgressBarConsumer(err, 100))
                .build();
        return new Progress(bar);
    }

    void step() {
        step(1);
    }

    void step(long n) {
        if (bar != null) {
            bar.stepBy(n);
        }
    }

    /** Changes the text after the bar (e.g. retries so far). */
    void extra(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
