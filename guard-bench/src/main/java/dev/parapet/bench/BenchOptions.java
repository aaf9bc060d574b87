package dev.parapet.bench;

import dev.parapet.onnx.ExecutionProvider;
import dev.parapet.onnx.RuntimeOptions;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;

/**
 * {@link RuntimeOptions} from text such as {@code intraOpThreads=1;maxBatchSize=16}, each key the
 * name of a {@link RuntimeOptions.Builder} setter taking an int, a double or a {@link Duration}
 * (in microseconds, or {@code off} for null) or an {@link ExecutionProvider} ({@code cpu},
 * {@code cuda} or {@code cuda:N}, as in {@code provider=cuda;strictProvider=true}). Found by reflection, so the harnesses can name
 * settings that only some versions of guard-onnx have; an unknown setting fails with its name,
 * unless written {@code name?=value}, which is skipped where the setter does not exist.
 */
final class BenchOptions {
    /**
     * Settings that make a call of at most {@code maxBatchSize} short texts one ONNX run on the
     * calling thread: the token budget of the first guard-onnx (8,192), and no split by padding nor
     * parallel runs in versions that have them.
     */
    static final String ONE_RUN_PER_CALL = "maxBatchTokens=8192;maxPaddingFraction?=inf;parallelRuns?=1;batchAcrossTexts?=true";

    private BenchOptions() {
    }

    static RuntimeOptions parse(String spec) {
        RuntimeOptions.Builder b = RuntimeOptions.builder();
        if (spec == null || spec.isBlank()) {
            return b.build();
        }
        for (String kv : spec.split(";")) {
            String[] p = kv.split("=", 2);
            if (p.length != 2) {
                throw new IllegalArgumentException("expected setting=value, got '" + kv + "'");
            }
            String name = p[0].trim();
            boolean optional = name.endsWith("?");
            if (optional) {
                name = name.substring(0, name.length() - 1);
                if (!has(name)) {
                    continue;
                }
            }
            set(b, name, p[1].trim());
        }
        return b.build();
    }

    /** Whether this build's RuntimeOptions.Builder has a one-argument setter {@code name}. */
    static boolean has(String name) {
        for (Method m : RuntimeOptions.Builder.class.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == 1) {
                return true;
            }
        }
        return false;
    }

    private static void set(RuntimeOptions.Builder b, String name, String value) {
        for (Method m : RuntimeOptions.Builder.class.getMethods()) {
            if (!m.getName().equals(name) || m.getParameterCount() != 1) {
                continue;
            }
            Class<?> type = m.getParameterTypes()[0];
            Object arg;
            if (type == int.class) {
                arg = Integer.parseInt(value);
            } else if (type == double.class) {
                arg = value.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value);
            } else if (type == Duration.class) {
                arg = value.equals("off") ? null : Duration.ofNanos(Long.parseLong(value) * 1000);
            } else if (type == boolean.class) {
                arg = Boolean.parseBoolean(value);
            } else if (type == ExecutionProvider.class) {
                arg = ExecutionProvider.parse(value);
            } else {
                continue;
            }
            try {
                m.invoke(b, arg);
                return;
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException(name + "=" + value + ": " + e.getCause().getMessage(), e.getCause());
            }
        }
        throw new IllegalArgumentException("RuntimeOptions.Builder has no setter " + name
                + "(int|double|Duration|boolean|ExecutionProvider) in this build");
    }
}
