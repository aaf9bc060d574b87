package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a Hugging Face-layout model's files come from: {@code model.onnx}, {@code tokenizer.json}
 * and (for classifiers) {@code config.json}, in a directory or on the classpath.
 *
 * <p>Missing files fail here, when the source is made, with the path that was looked for. The
 * {@link #id()} names the model file and decides session sharing: two scanners built on sources
 * with the same id share one ONNX session.
 */
public final class ModelSource {
    private final String id;
    private final String modelName;
    private final Path modelPath;
    private final ClassLoader loader;
    private final String modelResource;
    private final Opener tokenizer;
    private final Opener config;

    @FunctionalInterface
    interface StreamSupplier {
        InputStream open() throws IOException;
    }

    record Opener(String name, StreamSupplier supplier) {
    }

    private ModelSource(String id, String modelName, Path modelPath, ClassLoader loader, String modelResource,
                        Opener tokenizer, Opener config) {
        this.id = id;
        this.modelName = modelName;
        this.modelPath = modelPath;
        this.loader = loader;
        this.modelResource = modelResource;
        this.tokenizer = tokenizer;
        this.config = config;
    }

    /**
     * A Hugging Face-layout directory: {@code model.onnx} (or {@code onnx/model.onnx}),
     * {@code tokenizer.json} and, when present, {@code config.json}.
     */
    public static ModelSource directory(Path directory) {
        Objects.requireNonNull(directory, "directory");
        if (!Files.isDirectory(directory)) {
            throw new ModelLoadException("model directory " + directory.toAbsolutePath() + " does not exist or is not a directory");
        }
        Path model = directory.resolve("model.onnx");
        if (!Files.isRegularFile(model) && Files.isRegularFile(directory.resolve("onnx").resolve("model.onnx"))) {
            model = directory.resolve("onnx").resolve("model.onnx");
        }
        Path config = directory.resolve("config.json");
        return files(model, directory.resolve("tokenizer.json"), Files.isRegularFile(config) ? config : null);
    }

    /** Explicit files; {@code config} may be {@code null} for plain encoders. */
    public static ModelSource files(Path model, Path tokenizer, Path config) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        requireFile(model, "ONNX model");
        requireFile(tokenizer, "tokenizer.json");
        if (config != null) {
            requireFile(config, "config.json");
        }
        String id;
        try {
            id = "file:" + model.toRealPath();
        } catch (IOException e) {
            throw new ModelLoadException("cannot resolve ONNX model " + model.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Opener cfg = config == null ? null : new Opener(config.toAbsolutePath().toString(), () -> Files.newInputStream(config));
        return new ModelSource(id, model.toAbsolutePath().toString(), model, null, null,
                new Opener(tokenizer.toAbsolutePath().toString(), () -> Files.newInputStream(tokenizer)), cfg);
    }

    /**
     * A Hugging Face-layout directory on the classpath: {@code prefix/model.onnx},
     * {@code prefix/tokenizer.json} and, when present, {@code prefix/config.json}.
     */
    public static ModelSource classpath(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String p = prefix.endsWith("/") ? prefix : prefix + "/";
        ClassLoader cl = defaultLoader();
        String config = cl.getResource(strip(p + "config.json")) != null ? p + "config.json" : null;
        return classpath(cl, p + "model.onnx", p + "tokenizer.json", config);
    }

    /**
     * Named classpath resources, e.g. the encoders at the root of LangChain4j's embedding jars:
     * {@code classpath(loader, "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", null)}.
     */
    public static ModelSource classpath(ClassLoader loader, String model, String tokenizer, String config) {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        URL modelUrl = requireResource(loader, model, "ONNX model");
        requireResource(loader, tokenizer, "tokenizer.json");
        Opener cfg = null;
        if (config != null) {
            requireResource(loader, config, "config.json");
            cfg = new Opener("classpath:" + strip(config), () -> loader.getResourceAsStream(strip(config)));
        }
        return new ModelSource("classpath:" + modelUrl, "classpath:" + strip(model), null, loader, strip(model),
                new Opener("classpath:" + strip(tokenizer), () -> loader.getResourceAsStream(strip(tokenizer))), cfg);
    }

    /** Identifies the model file; equal ids share one ONNX session. */
    public String id() {
        return id;
    }

    /** The model file as a user would name it in a bug report. */
    public String modelName() {
        return modelName;
    }

    public String tokenizerName() {
        return tokenizer.name();
    }

    public Optional<String> configName() {
        return config == null ? Optional.empty() : Optional.of(config.name());
    }

    /** The model file on disk, when it has one (classpath models inside jars do not). */
    Optional<Path> modelPath() {
        return Optional.ofNullable(modelPath);
    }

    byte[] readModelBytes() {
        if (modelPath != null) {
            try {
                return Files.readAllBytes(modelPath);
            } catch (IOException e) {
                throw new ModelLoadException("cannot read ONNX model " + modelName + ": " + e.getMessage(), e);
            }
        }
        try (InputStream in = loader.getResourceAsStream(modelResource)) {
            if (in == null) {
                throw new ModelLoadException("ONNX model " + modelName + " vanished from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ModelLoadException("cannot read ONNX model " + modelName + ": " + e.getMessage(), e);
        }
    }

    InputStream openTokenizer() {
        return open(tokenizer);
    }

    Optional<InputStream> openConfig() {
        return config == null ? Optional.empty() : Optional.of(open(config));
    }

    private static InputStream open(Opener opener) {
        try {
            InputStream in = opener.supplier().open();
            if (in == null) {
                throw new ModelLoadException("cannot open " + opener.name());
            }
            return in;
        } catch (IOException e) {
            throw new ModelLoadException("cannot open " + opener.name() + ": " + e.getMessage(), new UncheckedIOException(e));
        }
    }

    private static void requireFile(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(what + " not found: expected a file at " + file.toAbsolutePath());
        }
        if (!Files.isReadable(file)) {
            throw new ModelLoadException(what + " at " + file.toAbsolutePath() + " is not readable");
        }
    }

    private static URL requireResource(ClassLoader loader, String name, String what) {
        URL url = loader.getResource(strip(name));
        if (url == null) {
            throw new ModelLoadException(what + " not found on the classpath: expected resource '" + strip(name)
                    + "' (is the jar that carries it a dependency?)");
        }
        return url;
    }

    private static String strip(String resource) {
        return resource.startsWith("/") ? resource.substring(1) : resource;
    }

    private static ClassLoader defaultLoader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : ModelSource.class.getClassLoader();
    }

    @Override
    public String toString() {
        return "ModelSource{" + modelName + '}';
    }
}
