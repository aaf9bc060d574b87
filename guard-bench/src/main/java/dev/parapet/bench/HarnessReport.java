package dev.parapet.bench;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Small helpers the harness main classes share: load, memory, medians, argument parsing. */
final class HarnessReport {
    private HarnessReport() {
    }

    /** The 1-minute load average, or NaN where /proc is missing. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** This process's resident set (VmRSS, native memory included) in MiB, or NaN where /proc is missing. */
    static double rssMiB() {
        return statusMiB("VmRSS:");
    }

    /** The peak resident set (VmHWM) in MiB. */
    static double peakRssMiB() {
        return statusMiB("VmHWM:");
    }

    private static double statusMiB(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Double.NaN;
    }

    /**
     * CPU time of the whole process in nanoseconds (every thread: ours, ONNX Runtime's pool, GC,
     * JIT). Other processes on the machine slow a run's wall time but add little to its CPU time,
     * so CPU time per text is the steadier measure of work on a shared machine; spinning threads
     * count, as they burn a core someone else could use.
     */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return -1;
    }

    static double heapUsedMiB() {
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
    }

    static double heapCommittedMiB() {
        return Runtime.getRuntime().totalMemory() / (1024.0 * 1024.0);
    }

    /** Direct and mapped NIO buffers in MiB. */
    static double directMiB() {
        long bytes = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            bytes += pool.getMemoryUsed();
        }
        return bytes / (1024.0 * 1024.0);
    }

    /**
     * Warms both sides on the first 20 texts, then times {@code rounds} interleaved rounds: every text
     * through {@code a}, then every text through {@code b}, one call per text. Prints each round as
     * {@code round N: <aName> X ms/text, <bName> Y ms/text} and returns the ratio of b's total to a's.
     */
    static double interleavedRatio(List<String> texts, int rounds, String aName, java.util.function.Consumer<String> a,
                                   String bName, java.util.function.Consumer<String> b) {
        for (int i = 0; i < Math.min(20, texts.size()); i++) {
            a.accept(texts.get(i));
            b.accept(texts.get(i));
        }
        double aMs = 0;
        double bMs = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            texts.forEach(a);
            long t1 = System.nanoTime();
            texts.forEach(b);
            long t2 = System.nanoTime();
            aMs += (t1 - t0) / 1e6;
            bMs += (t2 - t1) / 1e6;
            System.out.printf(java.util.Locale.ROOT, "round %d: %s %.2f ms/text, %s %.2f ms/text%n", r + 1, aName,
                    (t1 - t0) / 1e6 / texts.size(), bName, (t2 - t1) / 1e6 / texts.size());
        }
        return bMs / aMs;
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** The value at quantile {@code q} of sorted nanosecond latencies, in milliseconds. */
    static double quantileMs(long[] sortedNanos, double q) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, i))] / 1e6;
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** {@code --name value} from the arguments, or the default. */
    static String arg(String[] args, String name, String dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--" + name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }

    static int intArg(String[] args, String name, int dflt) {
        return Integer.parseInt(arg(args, name, Integer.toString(dflt)));
    }

    static List<String> listArg(String[] args, String name, String dflt) {
        return new ArrayList<>(Arrays.asList(arg(args, name, dflt).split(",")));
    }

    static void header(String title) {
        System.out.println("# " + title);
        System.out.println(f("# java %s, %d available processors, load average %.2f at start",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), loadAverage()));
    }
}
