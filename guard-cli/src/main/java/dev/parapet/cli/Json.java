package dev.parapet.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;

/** One JSON style for every command: compact, nulls written, no HTML escaping, NaN as {@code null}. */
final class Json {
    static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private Json() {
    }

    /** A number, or {@code null} where it is undefined (NaN, infinite). */
    static JsonElement num(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(round(v)) : JsonNull.INSTANCE;
    }

    static JsonElement str(String s) {
        return s == null ? JsonNull.INSTANCE : new JsonPrimitive(s);
    }

    /** Ten significant decimals are plenty for metrics and keep 0.1 + 0.2 from printing its binary tail. */
    private static double round(double v) {
        return Math.abs(v) >= 1e12 ? v : Math.round(v * 1e10) / 1e10;
    }

    static String write(JsonElement e) {
        return GSON.toJson(e);
    }
}
