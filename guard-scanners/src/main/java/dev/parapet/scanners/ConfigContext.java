package dev.parapet.scanners;

import dev.parapet.onnx.RuntimeOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the factories of one configuration share: the folder relative paths resolve against, the
 * runtime options its models run with, and a
 * cache of expensive objects (models) created once for the whole configuration and closed when
 * loading fails or, for objects registered with {@link #closeWithConfig}, right after loading.
 */
public final class ConfigContext {
    private final Path baseDirectory;
    private final RuntimeOptions runtime;
    private final Map<String, Object> shared = new LinkedHashMap<>();
    private final List<AutoCloseable> closeAfterLoad = new ArrayList<>();

    ConfigContext(Path baseDirectory, RuntimeOptions runtime) {
        this.baseDirectory = baseDirectory;
        this.runtime = runtime;
    }

    /**
     * How the configuration's models run: its {@code runtime} block (provider, strict provider, TF32, intra-op
     * threads), or the library defaults without one. Factories that load models pass it on.
     */
    public RuntimeOptions runtime() {
        return runtime;
    }

    /** Resolves a path from the configuration against the configuration file's folder. */
    public Path resolve(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() || baseDirectory == null ? p : baseDirectory.resolve(p);
    }

    /** The object cached under {@code key}, created by {@code creator} on first use. */
    @SuppressWarnings("unchecked")
    public synchronized <T> T shared(String key, Supplier<T> creator) {
        return (T) shared.computeIfAbsent(key, k -> creator.get());
    }

    /**
     * Closes {@code resource} once the configuration has been loaded (or failed): for holders
     * like a model set whose scanners keep their own references.
     */
    public synchronized void closeWithConfig(AutoCloseable resource) {
        closeAfterLoad.add(resource);
    }

    synchronized void close() {
        for (AutoCloseable c : closeAfterLoad) {
            try {
                c.close();
            } catch (Exception e) {
                // a failed close of a shared holder must not hide the configuration's own outcome
            }
        }
        closeAfterLoad.clear();
        shared.clear();
    }
}
