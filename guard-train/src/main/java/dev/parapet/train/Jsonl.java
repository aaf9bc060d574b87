package dev.parapet.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Readers for labelled JSON Lines files in the field conventions of the shared datasets. Every
 * problem names the file and the 1-based line; blank lines are skipped.
 *
 * <ul>
 * <li>toxicity: {@code text}, {@code label} = {@code toxic} | {@code non-toxic}</li>
 * <li>refusal: {@code prompt}, {@code response}, {@code label} = {@code refusal} | {@code compliance}</li>
 * <li>preference: {@code prompt}, {@code chosen}, {@code rejected}</li>
 * </ul>
 */
public final class Jsonl {
    private Jsonl() {
    }

    /** Toxicity rows: flagged label {@code toxic}. */
    public static List<LabelledText> readToxicity(Path file) {
        return readBinary(file, null, "text", "label", "toxic", "non-toxic");
    }

    /** Refusal rows: the response is the judged text, flagged label {@code refusal}. */
    public static List<LabelledText> readRefusal(Path file) {
        return readBinary(file, "prompt", "response", "label", "refusal", "compliance");
    }

    /**
     * Binary rows with any field names.
     *
     * @param promptField may be {@code null} when the rows carry no prompt
     */
    public static List<LabelledText> readBinary(Path file, String promptField, String textField, String labelField,
                                                String positive, String negative) {
        List<LabelledText> out = new ArrayList<>();
        forEachObject(file, (o, line) -> {
            String label = string(o, labelField, file, line);
            int y;
            if (label.equals(positive)) {
                y = 1;
            } else if (label.equals(negative)) {
                y = 0;
            } else {
                throw new IllegalArgumentException(file + ":" + line + ": " + labelField + " '" + label + "' is neither '" + positive
                        + "' nor '" + negative + "'");
            }
            String prompt = promptField == null ? null : string(o, promptField, file, line);
            out.add(new LabelledText(prompt, string(o, textField, file, line), y));
        });
        return out;
    }

    /** Preference rows. */
    public static List<PreferencePair> readPreference(Path file) {
        List<PreferencePair> out = new ArrayList<>();
        forEachObject(file, (o, line) -> out.add(new PreferencePair(string(o, "prompt", file, line), string(o, "chosen", file, line),
                string(o, "rejected", file, line))));
        return out;
    }

    /** ParaDetox rows: a toxic sentence and its neutral rewrites. */
    public static List<List<String>> readParallel(Path file, String sourceField, String targetsField) {
        List<List<String>> out = new ArrayList<>();
        forEachObject(file, (o, line) -> {
            List<String> row = new ArrayList<>();
            row.add(string(o, sourceField, file, line));
            JsonElement t = o.get(targetsField);
            if (t == null || !t.isJsonArray()) {
                throw new IllegalArgumentException(file + ":" + line + ": '" + targetsField + "' must be an array of strings");
            }
            t.getAsJsonArray().forEach(e -> row.add(e.getAsString()));
            out.add(row);
        });
        return out;
    }

    /** One optional string field of every row, {@code null} where absent or JSON null (e.g. the refusal data's {@code tone}). */
    public static List<String> readOptionalField(Path file, String field) {
        List<String> out = new ArrayList<>();
        forEachObject(file, (o, line) -> {
            JsonElement e = o.get(field);
            out.add(e == null || e.isJsonNull() ? null : e.getAsString());
        });
        return out;
    }

    private interface RowHandler {
        void accept(JsonObject row, int line);
    }

    private static void forEachObject(Path file, RowHandler handler) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String s;
            int line = 0;
            while ((s = r.readLine()) != null) {
                line++;
                if (s.isBlank()) {
                    continue;
                }
                JsonElement e;
                try {
                    e = JsonParser.parseString(s);
                } catch (JsonParseException ex) {
                    throw new IllegalArgumentException(file + ":" + line + ": not valid JSON: " + ex.getMessage(), ex);
                }
                if (!e.isJsonObject()) {
                    throw new IllegalArgumentException(file + ":" + line + ": expected a JSON object");
                }
                handler.accept(e.getAsJsonObject(), line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String string(JsonObject o, String field, Path file, int line) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull() || !e.isJsonPrimitive()) {
            throw new IllegalArgumentException(file + ":" + line + ": missing string field '" + field + "'");
        }
        return e.getAsString();
    }
}
