package dev.parapet.onnx;

/** How a classifier's logits become probabilities, as Hugging Face's {@code problem_type} says. */
public enum ProblemType {
    /** Softmax over the labels: exactly one label is true. */
    SINGLE_LABEL("single_label_classification"),
    /** An independent sigmoid per label: any number may be true. */
    MULTI_LABEL("multi_label_classification");

    private final String configName;

    ProblemType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** Hugging Face's name, or {@code null}, which Transformers reads as single-label for 2+ labels. */
    static ProblemType fromConfig(String name, String file) {
        if (name == null) {
            return SINGLE_LABEL;
        }
        for (ProblemType t : values()) {
            if (t.configName.equals(name)) {
                return t;
            }
        }
        throw new dev.parapet.core.ModelLoadException(file + ": problem_type '" + name
                + "' is not supported; expected single_label_classification or multi_label_classification");
    }
}
