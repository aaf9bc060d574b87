package dev.parapet.onnx;

/** How the windows of one long text become one score per label. */
public enum Aggregation {
    /** For each label, the highest probability any window gave it (the default: one bad sentence is enough). */
    MAX,
    /** For each label, the mean over windows. */
    MEAN
}
