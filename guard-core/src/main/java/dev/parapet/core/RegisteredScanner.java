package dev.parapet.core;

/**
 * A scanner as the guard holds it: its name and role read once at build time, because a scanner
 * that answered differently between calls would make results impossible to match to scanners.
 */
record RegisteredScanner(Scanner scanner, String name, boolean sanitizer, Stage stage) {

    static RegisteredScanner of(Scanner scanner, Stage stage, String setting) {
        String name = scanner.name();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(setting + ": scanner " + scanner.getClass().getName()
                    + " has a " + (name == null ? "null" : "blank") + " name(); results are matched to scanners by name");
        }
        return new RegisteredScanner(scanner, name, scanner.isSanitizer(), stage);
    }
}
