package dev.parapet.scanners;

/**
 * One hit of a rule scanner: a UTF-16 span of the judged text, the label it is reported under
 * (becomes {@link dev.parapet.core.Evidence#label()}) and an optional short detail.
 */
record RuleMatch(int start, int end, String label, String detail) {
}
