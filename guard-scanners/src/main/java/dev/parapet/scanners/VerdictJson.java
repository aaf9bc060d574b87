package dev.parapet.scanners;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON form of verdicts and results, schema {@value #SCHEMA} (documented in
 * docs/result-schema.md). Stable: fields are only ever added. Texts (the sanitized prompt and
 * output) are left out unless asked for, since logs are where user text must not end up by accident.
 *
 * <pre>{@code
 * {"schema":"parapet-verdict/1","allowed":false,"latency_ms":3.1,
 *  "results":[{"scanner":"toxicity","stage":"prompt","decision":"flagged","score":0.93,"threshold":0.5,
 *              "label":"toxic","risk_score":0.86,"latency_ms":2.9,"provider":"CPU",
 *              "evidence":[{"start":0,"end":42,"label":"toxic","score":0.93,"detail":"window 1 of 1"}],
 *              "error":null,"attributes":{"windows":"1"}}]}
 * }</pre>
 *
 * Numbers that do not apply (a rule scanner's score) are {@code null}.
 */
public final class VerdictJson {
    public static final String SCHEMA = "parapet-verdict/1";

    private VerdictJson() {
    }

    /** The verdict without the texts. */
    public static String toJson(Verdict verdict) {
        return toJson(verdict, false);
    }

    /** The verdict; with {@code includeText} also {@code sanitized_prompt} and {@code sanitized_output}. */
    public static String toJson(Verdict verdict, boolean includeText) {
        JsonObject o = new JsonObject();
        o.addProperty("schema", SCHEMA);
        o.addProperty("allowed", verdict.allowed());
        o.add("latency_ms", number(verdict.latency().toNanos() / 1e6));
        JsonArray results = new JsonArray();
        for (ScanResult r : verdict.results()) {
            results.add(result(r));
        }
        o.add("results", results);
        if (includeText) {
            o.addProperty("sanitized_prompt", verdict.sanitizedPrompt());
            if (verdict.sanitizedOutput() == null) {
                o.add("sanitized_output", JsonNull.INSTANCE);
            } else {
                o.addProperty("sanitized_output", verdict.sanitizedOutput());
            }
        }
        return write(o);
    }

    /** One result as a JSON object. */
    public static String toJson(ScanResult result) {
        return write(result(result));
    }

    /** Reads a result written by {@link #toJson(ScanResult)} (the error is kept as its message). */
    public static ScanResult resultFromJson(String json) {
        return readResult(JsonParser.parseString(json).getAsJsonObject());
    }

    /** Reads the results of a verdict written by {@link #toJson(Verdict)}. */
    public static List<ScanResult> resultsFromJson(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        List<ScanResult> out = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("results")) {
            out.add(readResult(e.getAsJsonObject()));
        }
        return out;
    }

    static JsonObject result(ScanResult r) {
        JsonObject o = new JsonObject();
        o.addProperty("scanner", r.scanner());
        o.addProperty("stage", r.stage().name().toLowerCase(Locale.ROOT));
        o.addProperty("decision", r.decision().name().toLowerCase(Locale.ROOT));
        o.add("score", number(r.score()));
        o.add("threshold", number(r.threshold()));
        o.add("label", r.label() == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(r.label()));
        o.add("risk_score", number(r.riskScore()));
        o.add("latency_ms", number(r.latency().toNanos() / 1e6));
        String provider = r.attributes().get("provider");
        o.add("provider", provider == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(provider));
        JsonArray evidence = new JsonArray();
        for (Evidence e : r.evidence()) {
            JsonObject eo = new JsonObject();
            eo.addProperty("start", e.start());
            eo.addProperty("end", e.end());
            eo.add("label", e.label() == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(e.label()));
            eo.add("score", number(e.score()));
            eo.add("detail", e.detail() == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(e.detail()));
            evidence.add(eo);
        }
        o.add("evidence", evidence);
        o.add("error", r.errorMessage() == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(r.errorMessage()));
        o.addProperty("modified", r.sanitizedText() != null);
        JsonObject attributes = new JsonObject();
        for (Map.Entry<String, String> a : r.attributes().entrySet()) {
            attributes.addProperty(a.getKey(), a.getValue());
        }
        o.add("attributes", attributes);
        return o;
    }

    private static ScanResult readResult(JsonObject o) {
        ScanResult.Builder b = ScanResult.builder(o.get("scanner").getAsString(),
                        Stage.valueOf(o.get("stage").getAsString().toUpperCase(Locale.ROOT)))
                .decision(Decision.valueOf(o.get("decision").getAsString().toUpperCase(Locale.ROOT)))
                .score(dbl(o.get("score")))
                .threshold(dbl(o.get("threshold")))
                .latency(Duration.ofNanos(Math.round(dbl(o.get("latency_ms")) * 1e6)));
        if (!o.get("label").isJsonNull()) {
            b.label(o.get("label").getAsString());
        }
        if (o.has("error") && !o.get("error").isJsonNull()) {
            b.errorMessage(o.get("error").getAsString());
        }
        for (JsonElement e : o.getAsJsonArray("evidence")) {
            JsonObject eo = e.getAsJsonObject();
            b.evidence(new Evidence(eo.get("start").getAsInt(), eo.get("end").getAsInt(),
                    eo.get("label").isJsonNull() ? null : eo.get("label").getAsString(), dbl(eo.get("score")),
                    eo.get("detail").isJsonNull() ? null : eo.get("detail").getAsString()));
        }
        for (Map.Entry<String, JsonElement> a : o.getAsJsonObject("attributes").entrySet()) {
            b.attribute(a.getKey(), a.getValue().getAsString());
        }
        return b.build();
    }

    private static JsonElement number(double v) {
        return Double.isFinite(v) ? new com.google.gson.JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    private static double dbl(JsonElement e) {
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    private static String write(JsonElement e) {
        try (StringWriter sw = new StringWriter(); JsonWriter w = new JsonWriter(sw)) {
            w.setHtmlSafe(false);
            new com.google.gson.GsonBuilder().serializeNulls().create().toJson(e, w);
            w.flush();
            return sw.toString();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
