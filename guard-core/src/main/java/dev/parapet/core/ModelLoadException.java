package dev.parapet.core;

/**
 * A model, tokenizer or configuration file could not be loaded. Thrown when a scanner is built,
 * never at the first scan. The message names the path (or classpath resource) and what was expected.
 */
public class ModelLoadException extends ParapetException {
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
