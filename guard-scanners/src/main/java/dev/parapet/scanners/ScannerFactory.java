package dev.parapet.scanners;

import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;

import java.util.Set;

/**
 * Makes one scanner type from configuration. Implementations are found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.parapet.scanners.ScannerFactory}),
 * so a module adds its scanner types to {@link GuardConfig} by being on the classpath.
 */
public interface ScannerFactory {

    /** The {@code type} value in configuration, e.g. {@code banned_substrings}. */
    String type();

    /** Every parameter this type accepts; anything else fails when the file is loaded. */
    Set<String> parameters();

    /**
     * Builds the scanner. {@code context} is shared by every scanner of one configuration, so
     * factories can load a model once (e.g. one encoder for several heads).
     */
    Scanner create(ScannerParams params, Stage stage, ConfigContext context);
}
