package dev.parapet.scanners;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
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
    private static final Set<String> TOP_LEVEL = Set.of("fail_policy", "fail_fast", "limits", "input_scanners", "output_scanners");
    private static final Set<String> ENTRY = Set.of("type", "params");
    private static final Set<String> LIMITS = Set.of("max_prompt_chars", "max_output_chars", "max_batch_exchanges");

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
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseReader(reader);
            if (!e.isJsonObject()) {
                throw new ConfigException(name + ": expected a JSON object at the top");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ConfigException(name + " is not valid JSON: " + e.getMessage(), e);
        }
        checkKeys(root, TOP_LEVEL, name);
        Guard.Builder guard = Guard.builder();
        if (root.has("fail_policy")) {
            String p = root.get("fail_policy").getAsString();
            guard.failurePolicy(switch (p) {
                case "fail_closed" -> FailurePolicy.FAIL_CLOSED;
                case "fail_open" -> FailurePolicy.FAIL_OPEN;
                default -> throw new ConfigException(name + ": fail_policy '" + p + "'; expected fail_closed or fail_open");
            });
        }
        if (root.has("fail_fast")) {
            guard.failFast(root.get("fail_fast").getAsBoolean());
        }
        if (root.has("limits")) {
            JsonObject l = root.getAsJsonObject("limits");
            checkKeys(l, LIMITS, name + ": limits");
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
        }
        Map<String, ScannerFactory> factories = factories();
        ConfigContext context = new ConfigContext(base);
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
        if (!root.has(key)) {
            return out;
        }
        if (!root.get(key).isJsonArray()) {
            throw new ConfigException(name + ": " + key + " must be a list");
        }
        int i = 0;
        for (JsonElement e : root.getAsJsonArray(key)) {
            String where = name + ": " + key + "[" + i++ + "]";
            if (!e.isJsonObject() || !e.getAsJsonObject().has("type")) {
                throw new ConfigException(where + " must be an object with a 'type'");
            }
            JsonObject entry = e.getAsJsonObject();
            checkKeys(entry, ENTRY, where);
            String type = entry.get("type").getAsString();
            ScannerFactory factory = factories.get(type);
            if (factory == null) {
                throw new ConfigException(where + ": unknown scanner type '" + type + "'; known types: " + factories.keySet());
            }
            JsonObject params = entry.has("params") ? entry.getAsJsonObject("params") : new JsonObject();
            checkKeys(params, factory.parameters(), where + " (" + type + ") params");
            Scanner s = factory.create(new ScannerParams(where + " (" + type + ")", params), stage, context);
            built.add(s);
            out.add(s);
        }
        return out;
    }

    private static void checkKeys(JsonObject o, Set<String> known, String where) {
        for (String k : o.keySet()) {
            if (!known.contains(k)) {
                throw new ConfigException(where + ": unknown key '" + k + "'; known: " + new TreeSet<>(known));
            }
        }
    }
}
