package dev.parapet.scanners;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parapet.core.FailurePolicy;
import dev.parapet.core.Guard;
import dev.parapet.core.InputLimits;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A {@link Guard} from a JSON file, in the spirit of LLM Guard API's {@code scanners.yml}: ordered
 * input and output scanner lists, each entry a {@code type} and its {@code params}.
 *
 * <pre>{@code
 * {
 *   "fail_policy": "fail_closed",          // or fail_open
 *   "fail_fast": false,
 *   "limits": {"max_prompt_chars": 100000, "max_output_chars": 100000},
 *   "runtime": {"provider": "cpu", "strict_provider": false, "cuda_tf32": false, "intra_op_threads": 1},
 *   "input_scanners":  [{"type": "invisible_text"}, {"type": "toxicity", "params": {"threshold": 0.6}}],
 *   "output_scanners": [{"type": "refusal"}, {"type": "classifier", "params": {"model": "models/tox", "labels": ["toxic"]}}]
 * }
 * }</pre>
 *
 * Everything is checked when the file is loaded: an unknown key, scanner type or parameter fails
 * with a {@link ConfigException} that lists the known ones, and every model is loaded then (so a
 * missing model fails at load, not at the first scan). Scanner types come from the
 * {@link ScannerFactory} implementations on the classpath. Relative model paths resolve against
 * the file's folder.
 */
public final class GuardConfig {

    private GuardConfig() {
    }

    /** Loads a guard from a JSON file. */
    public static Guard load(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read guard configuration " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(new StringReader(json), file.toString(), base);
    }

    /** Loads a guard from JSON text; relative paths resolve against {@code baseDirectory} (may be null). */
    public static Guard parse(String json, Path baseDirectory) {
        return parse(new StringReader(json), "configuration", baseDirectory);
    }

    /** The scanner types on the classpath, with their parameters. */
    public static Map<String, Set<String>> knownTypes() {
        Map<String, Set<String>> out = new TreeMap<>();
        for (ScannerFactory f : factories().values()) {
            out.put(f.type(), new TreeSet<>(f.parameters()));
        }
        return out;
    }

    private static Map<String, ScannerFactory> factories() {
        Map<String, ScannerFactory> out = new TreeMap<>();
        for (ScannerFactory f : ServiceLoader.load(ScannerFactory.class, GuardConfig.class.getClassLoader())) {
            out.put(f.type(), f);
        }
        return out;
    }

    private static Guard parse(Reader reader, String name, Path base) {
        String json;
        try {
            StringBuilder sb = new StringBuilder();
            char[] buf = new char[8192];
            for (int n; (n = reader.read(buf)) > 0; ) {
                sb.append(buf, 0, n);
            }
            json = sb.toString();
        } catch (IOException e) {
            throw new ConfigException("cannot read " + name + ": " + e.getMessage(), e);
        }
        return build(GuardSpec.parse(json, name), name, base);
    }

    /** Builds a guard from a spec; relative paths resolve against {@code baseDirectory} (may be null). */
    public static Guard build(GuardSpec spec, Path baseDirectory) {
        Objects.requireNonNull(spec, "spec");
        return build(spec, "configuration", baseDirectory);
    }

    private static Guard build(GuardSpec spec, String name, Path base) {
        JsonObject root = spec.root();
        Guard.Builder guard = Guard.builder()
                .failurePolicy("fail_open".equals(root.get("fail_policy").getAsString()) ? FailurePolicy.FAIL_OPEN : FailurePolicy.FAIL_CLOSED)
                .failFast(root.get("fail_fast").getAsBoolean());
        JsonObject l = root.getAsJsonObject("limits");
        InputLimits.Builder limits = InputLimits.builder();
        try {
            if (l.has("max_prompt_chars")) {
                limits.maxPromptChars(l.get("max_prompt_chars").getAsInt());
            }
            if (l.has("max_output_chars")) {
                limits.maxOutputChars(l.get("max_output_chars").getAsInt());
            }
            if (l.has("max_batch_exchanges")) {
                limits.maxBatchExchanges(l.get("max_batch_exchanges").getAsInt());
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": limits: " + e.getMessage(), e);
        }
        guard.limits(limits.build());
        Map<String, ScannerFactory> factories = factories();
        ConfigContext context = new ConfigContext(base, GuardSpec.runtimeOptions(root));
        List<Scanner> built = new ArrayList<>();
        try {
            guard.inputScanners(scanners(root, "input_scanners", Stage.PROMPT, factories, context, built, name));
            guard.outputScanners(scanners(root, "output_scanners", Stage.OUTPUT, factories, context, built, name));
            return guard.build();
        } catch (RuntimeException e) {
            for (Scanner s : built) {
                try {
                    s.close();
                } catch (RuntimeException ignored) {
                    // the configuration error is what the caller needs to see
                }
            }
            throw e instanceof ConfigException ? e : new ConfigException(name + ": " + e.getMessage(), e);
        } finally {
            context.close();
        }
    }

    private static List<Scanner> scanners(JsonObject root, String key, Stage stage, Map<String, ScannerFactory> factories,
                                          ConfigContext context, List<Scanner> built, String name) {
        List<Scanner> out = new ArrayList<>();
        int i = 0;
        for (JsonElement e : root.getAsJsonArray(key)) {
            String where = name + ": " + key + "[" + i++ + "]";
            JsonObject entry = e.getAsJsonObject();
            String type = entry.get("type").getAsString();
            ScannerFactory factory = factories.get(type);
            if (factory == null) {
                throw new ConfigException(where + ": unknown scanner type '" + type + "'; known types: " + factories.keySet());
            }
            JsonObject params = entry.getAsJsonObject("params");
            GuardSpec.checkKeys(params, factory.parameters(), where + " (" + type + ") params");
            Scanner s = factory.create(new ScannerParams(where + " (" + type + ")", params), stage, context);
            built.add(s);
            out.add(s);
        }
        return out;
    }
}
