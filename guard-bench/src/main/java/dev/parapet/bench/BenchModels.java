package dev.parapet.bench;

import dev.parapet.demo.DemoModels;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The model every benchmark here scores with, and the JVM settings DJL needs before it loads. */
final class BenchModels {
    private BenchModels() {
    }

    /**
     * Sets DJL's switches as system properties unless the user chose them already. DJL reads them
     * when its native library loads, so this must run before the first tokenizer is created; without
     * them it sends telemetry and, on a GPU host, tries to download a CUDA build of the tokenizer.
     */
    static void offlineDjl() {
        setIfAbsent("OPT_OUT_TRACKING", "true");
        setIfAbsent("RUST_FLAVOR", "cpu");
        setIfAbsent("ai.djl.offline", "true");
    }

    /**
     * The demo toxicity model directory ({@code model.onnx}, {@code tokenizer.json},
     * {@code config.json}), built on first use. It goes to {@code parapet.demo.dir} when set, else to
     * {@code guard-bench/target/parapet-demo/toxicity} whatever the working directory, so that runs
     * from the repository root and from the module reuse one copy and {@code mvn clean} removes it.
     */
    static Path toxicity() {
        if (System.getProperty("parapet.demo.dir") != null) {
            return DemoModels.toxicity();
        }
        return DemoModels.toxicity(moduleTarget().resolve("parapet-demo").resolve("toxicity"));
    }

    /** guard-bench/target: the folder holding target/benchmarks.jar or target/classes. */
    private static Path moduleTarget() {
        try {
            Path codeSource = Path.of(BenchModels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return codeSource.toAbsolutePath().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the benchmarks jar: " + e.getMessage(), e);
        }
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
