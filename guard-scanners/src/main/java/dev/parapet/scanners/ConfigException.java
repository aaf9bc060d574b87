package dev.parapet.scanners;

import dev.parapet.core.ParapetException;

/** A guard configuration file that cannot be used; the message names the entry and what to change. */
public class ConfigException extends ParapetException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
