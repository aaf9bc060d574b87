package dev.parapet.scanners;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code params} object of one scanner entry, with typed getters whose errors name the entry
 * and the parameter.
 */
public final class ScannerParams {
    private final String where;
    private final JsonObject params;

    ScannerParams(String where, JsonObject params) {
        this.where = where;
        this.params = params;
    }

    public boolean has(String name) {
        return params.has(name) && !params.get(name).isJsonNull();
    }

    public String string(String name, String fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonElement e = params.get(name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw fail(name, "a string", e);
        }
        return e.getAsString();
    }

    public String requiredString(String name) {
        String s = string(name, null);
        if (s == null) {
            throw new ConfigException(where + ": parameter '" + name + "' is required");
        }
        return s;
    }

    public double number(String name, double fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonElement e = params.get(name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw fail(name, "a number", e);
        }
        return e.getAsDouble();
    }

    public int integer(String name, int fallback) {
        double d = number(name, fallback);
        if (d != Math.rint(d) || d > Integer.MAX_VALUE || d < Integer.MIN_VALUE) {
            throw fail(name, "a whole number", params.get(name));
        }
        return (int) d;
    }

    public boolean bool(String name, boolean fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonElement e = params.get(name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw fail(name, "true or false", e);
        }
        return e.getAsBoolean();
    }

    public List<String> strings(String name) {
        if (!has(name)) {
            return List.of();
        }
        JsonElement e = params.get(name);
        if (!e.isJsonArray()) {
            throw fail(name, "a list of strings", e);
        }
        List<String> out = new ArrayList<>();
        for (JsonElement x : (JsonArray) e) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                throw fail(name, "a list of strings", e);
            }
            out.add(x.getAsString());
        }
        return out;
    }

    public <E extends Enum<E>> E choice(String name, Class<E> type, E fallback) {
        String s = string(name, null);
        if (s == null) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            List<String> known = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                known.add(c.name().toLowerCase(Locale.ROOT));
            }
            throw new ConfigException(where + ": parameter '" + name + "' is '" + s + "'; expected one of " + known);
        }
    }

    /** Where this entry sits in the file, for messages ("output_scanners[2] (refusal)"). */
    public String where() {
        return where;
    }

    private ConfigException fail(String name, String expected, JsonElement got) {
        return new ConfigException(where + ": parameter '" + name + "' must be " + expected + ", got " + got);
    }
}
