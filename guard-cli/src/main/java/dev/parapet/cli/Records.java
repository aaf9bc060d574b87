package dev.parapet.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Input rows from JSON Lines or CSV, as field maps. The format follows the file name: {@code .csv}
 * is comma-separated with a header row, {@code .tsv} tab-separated with a header row, anything
 * else (and {@code -}, standard input) JSON Lines. JSON values that are not strings are kept as
 * their JSON text; JSON {@code null} counts as absent. Errors name the file and the line.
 */
final class Records {
    /**
     * One input row: where it came from, its fields in file order as text, and as JSON (JSON Lines rows
     * as read, CSV rows as strings) for commands that write rows back out.
     */
    record Row(String source, int line, Map<String, String> fields, JsonObject json) {
        /** The field, or {@code null} when the row has none. */
        String get(String name) {
            return fields.get(name);
        }

        /** The field; a row without it is an input error naming the file, the line and the fields it has. */
        String require(String name) {
            String v = fields.get(name);
            if (v == null) {
                throw new CliException(where() + ": missing field '" + name + "' (the row has " + fields.keySet() + ")");
            }
            return v;
        }

        String where() {
            return source + ":" + line;
        }
    }

    private Records() {
    }

    static List<Row> read(Path file) {
        return read(file, Integer.MAX_VALUE);
    }

    /** At most {@code limit} rows of {@code file} ({@code -} for standard input). */
    static List<Row> read(Path file, int limit) {
        String name = file.toString();
        if (name.equals("-")) {
            return readJsonl(new InputStreamReader(System.in, StandardCharsets.UTF_8), "stdin", limit);
        }
        if (!Files.isRegularFile(file)) {
            throw new CliException("input file " + file + " does not exist" + (Files.isDirectory(file) ? " (it is a directory)" : ""));
        }
        String lower = name.toLowerCase(Locale.ROOT);
        try {
            if (lower.endsWith(".csv") || lower.endsWith(".tsv")) {
                return readCsv(Files.newBufferedReader(file, StandardCharsets.UTF_8), name, lower.endsWith(".tsv"), limit);
            }
            return readJsonl(Files.newBufferedReader(file, StandardCharsets.UTF_8), name, limit);
        } catch (NoSuchFileException e) {
            throw new CliException("input file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Row> readJsonl(Reader reader, String name, int limit) {
        List<Row> rows = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(reader)) {
            String s;
            int line = 0;
            while (rows.size() < limit && (s = r.readLine()) != null) {
                line++;
                if (s.isBlank()) {
                    continue;
                }
                if (line == 1 && s.startsWith("\uFEFF")) {
                    s = s.substring(1);
                }
                JsonElement e;
                try {
                    e = strict(s);
                } catch (JsonParseException | IOException | IllegalStateException ex) {
                    throw new CliException(name + ":" + line + ": not valid JSON (" + rootMessage(ex) + "); expected one JSON object per line", ex);
                }
                if (!e.isJsonObject()) {
                    throw new CliException(name + ":" + line + ": expected a JSON object, got " + kind(e));
                }
                rows.add(new Row(name, line, fields(e.getAsJsonObject()), e.getAsJsonObject()));
            }
        } catch (IOException e) {
            throw new CliException("cannot read " + name + ": " + e.getMessage(), e);
        }
        return rows;
    }

    /** One JSON value, strictly (Gson's default leniency would take {@code {"a": oops}} as a string), and nothing after it. */
    private static JsonElement strict(String s) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(s));
        reader.setStrictness(Strictness.STRICT);
        JsonElement e = JsonParser.parseReader(reader);
        if (reader.peek() != JsonToken.END_DOCUMENT) {
            throw new JsonParseException("text after the JSON value");
        }
        return e;
    }

    private static Map<String, String> fields(JsonObject o) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> f : o.entrySet()) {
            JsonElement v = f.getValue();
            if (v.isJsonNull()) {
                continue;
            }
            m.put(f.getKey(), v.isJsonPrimitive() ? v.getAsString() : v.toString());
        }
        return Collections.unmodifiableMap(m);
    }

    private static List<Row> readCsv(Reader reader, String name, boolean tabs, int limit) throws IOException {
        CSVFormat format = (tabs ? CSVFormat.TDF : CSVFormat.DEFAULT).builder()
                .setHeader().setSkipHeaderRecord(true).setIgnoreSurroundingSpaces(false).get();
        List<Row> rows = new ArrayList<>();
        try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
            List<String> header = parser.getHeaderNames();
            for (CSVRecord rec : parser) {
                if (rows.size() >= limit) {
                    break;
                }
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < header.size() && i < rec.size(); i++) {
                    m.put(header.get(i), rec.get(i));
                }
                JsonObject json = new JsonObject();
                m.forEach(json::addProperty);
                // header is line 1; a record's first line is recordNumber + 1 when no field spans lines
                rows.add(new Row(name, (int) rec.getRecordNumber() + 1, Collections.unmodifiableMap(m), json));
            }
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new CliException(name + ": not valid " + (tabs ? "TSV" : "CSV") + " with a header row: " + e.getMessage(), e);
        }
        return rows;
    }

    private static String kind(JsonElement e) {
        return e.isJsonArray() ? "an array" : e.isJsonNull() ? "null" : "a " + (e.getAsJsonPrimitive().isString() ? "string" : "value");
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
