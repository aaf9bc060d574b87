package dev.parapet.onnx;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parapet.core.ModelLoadException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The parts of a Hugging Face {@code config.json} a classifier needs: labels, problem type, length. */
public record ModelConfig(List<String> labels, ProblemType problemType, int maxPositions) {

    public ModelConfig {
        labels = List.copyOf(labels);
    }

    static ModelConfig read(InputStream in, String file) {
        JsonObject root;
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new ModelLoadException(file + ": expected a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<String> labels = readLabels(root, file);
        String pt = root.has("problem_type") && !root.get("problem_type").isJsonNull() ? root.get("problem_type").getAsString() : null;
        int maxPositions = 512;
        for (String key : new String[]{"max_position_embeddings", "n_positions", "max_length"}) {
            if (root.has(key) && root.get(key).isJsonPrimitive()) {
                maxPositions = root.get(key).getAsInt();
                break;
            }
        }
        // RoBERTa-family configs count two reserved positions (padding offset) in max_position_embeddings.
        if (maxPositions == 514) {
            maxPositions = 512;
        }
        return new ModelConfig(labels, ProblemType.fromConfig(pt, file), maxPositions);
    }

    private static List<String> readLabels(JsonObject root, String file) {
        if (!root.has("id2label") || !root.get("id2label").isJsonObject()) {
            throw new ModelLoadException(file + ": no id2label object; a classifier's config.json must map "
                    + "output indices to label names, e.g. {\"0\": \"non-toxic\", \"1\": \"toxic\"}");
        }
        Map<Integer, String> byIndex = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("id2label").entrySet()) {
            try {
                byIndex.put(Integer.parseInt(e.getKey().trim()), e.getValue().getAsString());
            } catch (RuntimeException ex) {
                throw new ModelLoadException(file + ": id2label key '" + e.getKey() + "' is not an integer index", ex);
            }
        }
        List<String> labels = new ArrayList<>(byIndex.size());
        int expected = 0;
        for (Map.Entry<Integer, String> e : byIndex.entrySet()) {
            if (e.getKey() != expected++) {
                throw new ModelLoadException(file + ": id2label indices must be 0.." + (byIndex.size() - 1) + " without gaps, found " + byIndex.keySet());
            }
            labels.add(e.getValue());
        }
        if (labels.isEmpty()) {
            throw new ModelLoadException(file + ": id2label is empty");
        }
        return labels;
    }
}
