package dev.parapet.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Labelled evaluation rows of one task: texts with 0/1 labels (toxicity: {@code text}; refusal:
 * {@code response}, with its {@code prompt} as context) or preference pairs.
 */
record EvalData(Task task, Path file, List<Example> examples, List<Pair> pairs) {
    /** A judged text, the prompt it answered ({@code null} for toxicity) and its label (1 = positive). */
    record Example(String prompt, String text, int label) {
    }

    record Pair(String prompt, String chosen, String rejected) {
    }

    static EvalData read(Task task, Path file, int limit) {
        List<Records.Row> rows = Records.read(file, limit);
        if (rows.isEmpty()) {
            throw new CliException("data file " + file + " has no rows");
        }
        List<Example> examples = new ArrayList<>();
        List<Pair> pairs = new ArrayList<>();
        for (Records.Row r : rows) {
            switch (task) {
                case TOXICITY -> examples.add(new Example(null, r.require("text"), task.parseLabel(r, "label")));
                case REFUSAL -> examples.add(new Example(r.require("prompt"), r.require("response"), task.parseLabel(r, "label")));
                case PREFERENCE -> pairs.add(new Pair(r.require("prompt"), r.require("chosen"), r.require("rejected")));
            }
        }
        return new EvalData(task, file, List.copyOf(examples), List.copyOf(pairs));
    }

    int size() {
        return task.binary() ? examples.size() : pairs.size();
    }

    int[] labels() {
        int[] y = new int[examples.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = examples.get(i).label();
        }
        return y;
    }
}
