package dev.parapet.scanners;

import dev.parapet.core.ParapetException;

import java.util.Locale;

/**
 * A regular expression read the text more often than its budget allows and was stopped: the sign
 * of catastrophic backtracking (nested quantifiers such as {@code (a+)+$} on a near miss take time
 * exponential in the text's length). Rule scanners report it as an
 * {@link dev.parapet.core.Decision#ERROR} result whose {@link dev.parapet.core.ScanResult#error()}
 * is this exception; the guard's failure policy then decides. The message names the pattern and
 * the setting to raise, never the text.
 */
public final class RegexBudgetExceededException extends ParapetException {
    private static final long serialVersionUID = 1L;

    private final String pattern;
    private final long budget;

    RegexBudgetExceededException(String pattern, long budget, int textLength, String setting) {
        super(String.format(Locale.ROOT,
                "pattern '%s' read a text of %,d chars more than %,d times and was stopped (catastrophic "
                        + "backtracking?); make it linear (possessive quantifiers, atomic groups, no nested "
                        + "repetition) or raise %s",
                pattern, textLength, budget, setting));
        this.pattern = pattern;
        this.budget = budget;
    }

    /** The name of the pattern that ran over its budget (its source text unless it was given a name). */
    public String pattern() {
        return pattern;
    }

    /** The budget it ran over, in character reads. */
    public long budget() {
        return budget;
    }
}
