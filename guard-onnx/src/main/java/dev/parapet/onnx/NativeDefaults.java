package dev.parapet.onnx;

/**
 * Settings that must be in place before DJL's tokenizer classes load.
 *
 * <p>DJL reads {@code OPT_OUT_TRACKING} and {@code RUST_FLAVOR} through
 * {@code Utils.getEnvOrSystemProperty} (the environment variable first, then a system property of
 * the same name) and its offline switch from the {@code ai.djl.offline} system property or the
 * {@code DJL_OFFLINE} variable. Without them it sends a telemetry request once a day and, on a host
 * with a GPU, tries to download a CUDA build of the tokenizer library. Parapet must never touch the
 * network at run time, so it sets all three as system properties unless the user already chose a
 * value (by system property or environment variable), in which case the user's choice stands.
 */
final class NativeDefaults {
    private static volatile boolean applied;

    private NativeDefaults() {
    }

    static void apply() {
        if (applied) {
            return;
        }
        synchronized (NativeDefaults.class) {
            if (applied) {
                return;
            }
            setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
            setIfAbsent("RUST_FLAVOR", "RUST_FLAVOR", "cpu");
            setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
            applied = true;
        }
    }

    private static void setIfAbsent(String property, String env, String value) {
        if (System.getProperty(property) == null && System.getenv(env) == null) {
            System.setProperty(property, value);
        }
    }
}
