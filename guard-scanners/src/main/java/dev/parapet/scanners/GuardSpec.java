package dev.parapet.scanners;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.parapet.onnx.ExecutionProvider;
import dev.parapet.onnx.RuntimeOptions;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A guard configuration as data: the parsed, checked and normalised form of a configuration file
 * (defaults written out, scanner entries each with a {@code params} object), before any model is
 * loaded. {@link #toJson()} writes it back in canonical form and {@link #parse} reads that form to
 * an equal spec, so configurations can be generated, stored, diffed and reloaded.
 * {@link GuardConfig#build} turns a spec into a {@link dev.parapet.core.Guard}.
 */
public final class GuardSpec {
    static final Set<String> TOP_LEVEL = Set.of("fail_policy", "fail_fast", "limits", "runtime", "input_scanners", "output_scanners");
    static final Set<String> ENTRY = Set.of("type", "params");
    static final Set<String> LIMITS = Set.of("max_prompt_chars", "max_output_chars", "max_batch_exchanges");
    static final Set<String> RUNTIME = Set.of("provider", "strict_provider", "cuda_tf32", "intra_op_threads");

    private final JsonObject root;

    private GuardSpec(JsonObject root) {
        this.root = root;
    }

    /** Parses and checks the structure (keys, value kinds); scanner parameters are checked when built. */
    public static GuardSpec parse(String json) {
        Objects.requireNonNull(json, "json");
        return parse(json, "configuration");
    }

    static GuardSpec parse(String json, String name) {
        JsonObject in;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new ConfigException(name + ": expected a JSON object at the top");
            }
            in = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ConfigException(name + " is not valid JSON: " + e.getMessage(), e);
        }
        checkKeys(in, TOP_LEVEL, name);
        JsonObject out = new JsonObject();
        String policy = in.has("fail_policy") ? string(in.get("fail_policy"), name + ": fail_policy") : "fail_closed";
        if (!policy.equals("fail_closed") && !policy.equals("fail_open")) {
            throw new ConfigException(name + ": fail_policy '" + policy + "'; expected fail_closed or fail_open");
        }
        out.addProperty("fail_policy", policy);
        out.addProperty("fail_fast", in.has("fail_fast") && bool(in.get("fail_fast"), name + ": fail_fast"));
        JsonObject limits = new JsonObject();
        if (in.has("limits")) {
            if (!in.get("limits").isJsonObject()) {
                throw new ConfigException(name + ": limits must be an object");
            }
            JsonObject l = in.getAsJsonObject("limits");
            checkKeys(l, LIMITS, name + ": limits");
            for (String k : new TreeSet<>(l.keySet())) {
                JsonElement v = l.get(k);
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                    throw new ConfigException(name + ": limits." + k + " must be a number, got " + v);
                }
                limits.addProperty(k, v.getAsInt());
            }
        }
        out.add("limits", limits);
        if (in.has("runtime")) {
            out.add("runtime", runtime(in.get("runtime"), name));
        }
        out.add("input_scanners", entries(in, "input_scanners", name));
        out.add("output_scanners", entries(in, "output_scanners", name));
        return new GuardSpec(out);
    }

    /**
     * The {@code runtime} block: how the configuration's models run ({@code provider} {@code cpu}, {@code cuda} or
     * {@code cuda:N}; {@code strict_provider}; {@code cuda_tf32}; {@code intra_op_threads}), written out in full.
     */
    private static JsonObject runtime(JsonElement e, String name) {
        String where = name + ": runtime";
        if (!e.isJsonObject()) {
            throw new ConfigException(where + " must be an object");
        }
        JsonObject r = e.getAsJsonObject();
        checkKeys(r, RUNTIME, where);
        JsonObject out = new JsonObject();
        String provider = r.has("provider") ? string(r.get("provider"), where + ".provider") : "cpu";
        try {
            out.addProperty("provider", ExecutionProvider.parse(provider).toString().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            throw new ConfigException(where + ".provider: " + ex.getMessage(), ex);
        }
        out.addProperty("strict_provider", r.has("strict_provider") && bool(r.get("strict_provider"), where + ".strict_provider"));
        out.addProperty("cuda_tf32", r.has("cuda_tf32") && bool(r.get("cuda_tf32"), where + ".cuda_tf32"));
        int threads = RuntimeOptions.DEFAULT_INTRA_OP_THREADS;
        if (r.has("intra_op_threads")) {
            JsonElement t = r.get("intra_op_threads");
            if (!t.isJsonPrimitive() || !t.getAsJsonPrimitive().isNumber() || t.getAsDouble() != Math.rint(t.getAsDouble())
                    || t.getAsDouble() < 1 || t.getAsDouble() > 1024) {
                throw new ConfigException(where + ".intra_op_threads must be a whole number from 1 to 1024, got " + t);
            }
            threads = t.getAsInt();
        }
        out.addProperty("intra_op_threads", threads);
        return out;
    }

    /** The runtime options of a normalised spec's {@code runtime} block, or the library defaults without one. */
    static RuntimeOptions runtimeOptions(JsonObject root) {
        if (!root.has("runtime")) {
            return RuntimeOptions.defaults();
        }
        JsonObject r = root.getAsJsonObject("runtime");
        return RuntimeOptions.builder()
                .provider(ExecutionProvider.parse(r.get("provider").getAsString()))
                .strictProvider(r.get("strict_provider").getAsBoolean())
                .cudaTf32(r.get("cuda_tf32").getAsBoolean())
                .intraOpThreads(r.get("intra_op_threads").getAsInt())
                .build();
    }

    private static JsonArray entries(JsonObject in, String key, String name) {
        JsonArray out = new JsonArray();
        if (!in.has(key)) {
            return out;
        }
        if (!in.get(key).isJsonArray()) {
            throw new ConfigException(name + ": " + key + " must be a list");
        }
        int i = 0;
        for (JsonElement e : in.getAsJsonArray(key)) {
            String where = name + ": " + key + "[" + i++ + "]";
            if (!e.isJsonObject() || !e.getAsJsonObject().has("type")) {
                throw new ConfigException(where + " must be an object with a 'type'");
            }
            JsonObject entry = e.getAsJsonObject();
            checkKeys(entry, ENTRY, where);
            JsonObject normal = new JsonObject();
            normal.addProperty("type", string(entry.get("type"), where + ": type"));
            if (entry.has("params") && !entry.get("params").isJsonObject()) {
                throw new ConfigException(where + ": params must be an object");
            }
            normal.add("params", entry.has("params") ? entry.getAsJsonObject("params").deepCopy() : new JsonObject());
            out.add(normal);
        }
        return out;
    }

    /** The canonical JSON of this spec (defaults written out, two-space indentation). */
    public String toJson() {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root);
    }

    JsonObject root() {
        return root.deepCopy();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GuardSpec other && root.equals(other.root);
    }

    @Override
    public int hashCode() {
        return root.hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }

    private static String string(JsonElement e, String where) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new ConfigException(where + " must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static boolean bool(JsonElement e, String where) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new ConfigException(where + " must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    static void checkKeys(JsonObject o, Set<String> known, String where) {
        for (String k : o.keySet()) {
            if (!known.contains(k)) {
                throw new ConfigException(where + ": unknown key '" + k + "'; known: " + new TreeSet<>(known));
            }
        }
    }
}
