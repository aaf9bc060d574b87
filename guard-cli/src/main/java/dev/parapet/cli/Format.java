package dev.parapet.cli;

import java.util.Locale;

/** Number and text formats shared by the commands' readable output. */
final class Format {
    private Format() {
    }

    /** A probability or threshold with four decimals, {@code -} when undefined. */
    static String prob(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    static String fixed(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
    }

    /** Thousands separated by commas: 12,345. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** One line of at most {@code max} characters. */
    static String abbreviate(String s, int max) {
        String oneLine = s.replaceAll("\\s+", " ");
        return oneLine.length() <= max ? oneLine : oneLine.substring(0, max - 3) + "...";
    }

    /** Seconds as {@code 4.2 s} or {@code 3 min 05 s}. */
    static String duration(double seconds) {
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
}
