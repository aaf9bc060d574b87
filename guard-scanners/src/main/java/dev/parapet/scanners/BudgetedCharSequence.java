package dev.parapet.scanners;

/**
 * A text that counts how often a regex engine reads it and stops the engine past a budget.
 *
 * <p>{@link java.util.regex.Matcher} reads its input only through {@link #charAt(int)}, and a
 * backtracking engine's running time is proportional to those reads, so a bound on reads is a
 * bound on time that needs no thread, timer or interrupt (the JDK's matcher ignores interrupts).
 * One instance serves one pattern on one text on one thread; it is not thread-safe and need not be.
 */
final class BudgetedCharSequence implements CharSequence {
    private final String text;
    private final long budget;
    private final String pattern;
    private final String setting;
    private long reads;

    /**
     * @param pattern the name the exception reports
     * @param setting how to raise the budget, e.g. {@code "RegexScanner.builder().stepsPerChar(...)"}
     */
    BudgetedCharSequence(String text, long budget, String pattern, String setting) {
        this.text = text;
        this.budget = budget;
        this.pattern = pattern;
        this.setting = setting;
    }

    @Override
    public char charAt(int index) {
        if (++reads > budget) {
            throw new RegexBudgetExceededException(pattern, budget, text.length(), setting);
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    // Matcher.group() copies a match out through here; copying is not matching, so it is not counted.
    @Override
    public CharSequence subSequence(int start, int end) {
        return text.subSequence(start, end);
    }

    @Override
    public String toString() {
        return text;
    }

    long reads() {
        return reads;
    }
}
