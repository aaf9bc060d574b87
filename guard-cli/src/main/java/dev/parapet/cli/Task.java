package dev.parapet.cli;

import java.util.List;

/**
 * The three labelled tasks and their field conventions (those of the shared datasets): toxicity
 * rows {@code text, label} with {@code toxic}/{@code non-toxic}; refusal rows
 * {@code prompt, response, label} with {@code refusal}/{@code compliance}; preference rows
 * {@code prompt, chosen, rejected}.
 */
enum Task {
    TOXICITY("toxic", "non-toxic"),
    REFUSAL("refusal", "compliance"),
    PREFERENCE(null, null);

    /** The flagged (positive) label, {@code null} for preference. */
    final String positive;
    final String negative;

    Task(String positive, String negative) {
        this.positive = positive;
        this.negative = negative;
    }

    String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    boolean binary() {
        return positive != null;
    }

    /** Report order, as scikit-learn sorts label names: negative first for both binary tasks. */
    List<String> labels() {
        return List.of(negative, positive);
    }

    /** 1 for the positive label (or 1/true), 0 for the negative (or 0/false); anything else is an input error. */
    int parseLabel(Records.Row row, String field) {
        String v = row.require(field).strip();
        if (v.equalsIgnoreCase(positive) || v.equals("1") || v.equalsIgnoreCase("true")) {
            return 1;
        }
        if (v.equalsIgnoreCase(negative) || v.equals("0") || v.equalsIgnoreCase("false")) {
            return 0;
        }
        throw new CliException(row.where() + ": " + field + " '" + v + "' is neither '" + positive + "' nor '" + negative + "'");
    }
}
