package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Judges a text by regular expressions: in {@link Mode#BLOCK} any match flags it (and may be
 * redacted); in {@link Mode#ALLOW} the text must match at least one pattern or it is flagged.
 *
 * <pre>{@code
 * Scanner noPhoneNumbers = RegexScanner.builder()
 *         .pattern("us-phone", "\\b\\d{3}-\\d{3}-\\d{4}\\b")
 *         .redact(true)
 *         .build();
 * Scanner jsonOnly = RegexScanner.builder()
 *         .mode(RegexScanner.Mode.ALLOW)
 *         .pattern("(?s)^\\s*\\{.*\\}\\s*$")
 *         .build();
 * }</pre>
 *
 * <h2>Matching</h2>
 * Patterns are {@link java.util.regex.Pattern}s, searched with {@link Matcher#find()} anywhere in
 * the text (anchor with {@code ^...$} to require a whole-text match). A pattern given as a string
 * is compiled with no flags; pass a compiled {@link Pattern} for flags such as
 * {@link Pattern#CASE_INSENSITIVE}. In BLOCK mode zero-length matches are ignored (they mark no
 * text to block or redact), so a pattern that can only match empty text never flags; in ALLOW
 * mode any successful {@code find()} counts, so {@code ^$} allows the empty text.
 *
 * <h2>Runaway patterns</h2>
 * A backtracking pattern such as {@code (a+)+$} takes time exponential in the length of a near
 * miss ({@code "aaaa…!"}), and the JDK's matcher cannot be interrupted. Each pattern therefore reads
 * the text through a counter: past its budget of character reads in one scan,
 * {@code max(minSteps, stepsPerChar * length)} (defaults {@value #DEFAULT_MIN_STEPS} and
 * {@value #DEFAULT_STEPS_PER_CHAR}: ten times what linear patterns need, and milliseconds of work
 * on a prompt-sized text), it is stopped and the result is
 * {@link Decision#ERROR} with a {@link RegexBudgetExceededException} that names the pattern. A
 * pattern whose repetition of a group recurses too deeply (e.g. {@code (a|b)*} over a long text)
 * overflows the stack; that too becomes an ERROR result naming the pattern, not a crash. The guard's
 * failure policy decides what an ERROR means (blocked under the default fail-closed).
 *
 * <p><b>{@code \b} on untrusted text.</b> Some constructs are quadratic even without nested
 * repetition: next to a combining mark, Java's word boundary ({@code \b}, {@code \B}) looks back
 * over the whole run of marks to find its base character, and does so at every position, so
 * {@code \bpass} over a letter followed by n combining marks (zalgo text, a "mark flood") reads the
 * text about n²/2 times; lookbehinds with a long bound re-read text at every position in the same
 * way. The step budget stops such a run like any other: the result is an ERROR with a
 * {@link RegexBudgetExceededException} (fail closed by default), never a hang. Patterns meant for
 * untrusted text should avoid {@code \b} (e.g. {@code (?<![A-Za-z0-9_])} with an explicit
 * character class reads one char back) or run after {@link TextNormalizer} as a sanitizer, which
 * drops mark floods before later scanners see the text.
 *
 * <h2>Results</h2>
 * Score and threshold are {@code NaN}. BLOCK: {@link Decision#FLAGGED} with one evidence per match
 * (UTF-16 offsets into the judged text, label = the pattern's name, ordered by position); the
 * result's label is the first match's pattern. With {@link Builder#redact(boolean) redact(true)}
 * the scanner is a sanitizer: matches are replaced by the redaction token (overlapping matches of
 * different patterns merged into one replacement) and the result stays FLAGGED unless
 * {@link Builder#flagWhenSanitized(boolean) flagWhenSanitized(false)}. ALLOW: {@link Decision#PASSED}
 * with the allowing match as evidence, or {@link Decision#FLAGGED} labelled
 * {@value #NO_ALLOWED_MATCH} with evidence spanning the whole text. Attributes: {@code matches}
 * (and {@code evidence_dropped} past {@link Builder#maxEvidence}); for ERROR results,
 * {@code pattern}.
 *
 * <p>A pattern's name is its source text unless given one; names appear in results and error
 * messages, which never quote the judged text. Immutable and thread-safe ({@link Pattern} is;
 * each scan makes its own matchers).
 */
public final class RegexScanner implements Scanner {
    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "regex";
    /** What a redacted match is replaced with unless {@link Builder#redactionToken(String)} says otherwise. */
    public static final String DEFAULT_REDACTION_TOKEN = "[REDACTED]";
    /** Default for {@link Builder#minSteps(long)}: the read budget of a pattern on a short text. */
    public static final long DEFAULT_MIN_STEPS = RuleResults.DEFAULT_MIN_STEPS;
    /** Default for {@link Builder#stepsPerChar(int)}: how the read budget grows with the text. */
    public static final int DEFAULT_STEPS_PER_CHAR = RuleResults.DEFAULT_STEPS_PER_CHAR;
    /** The label of an ALLOW-mode result whose text matched none of the patterns. */
    public static final String NO_ALLOWED_MATCH = "no_allowed_match";

    /** What a match means. */
    public enum Mode {
        /** A match flags the text (and may be redacted). */
        BLOCK,
        /** The text must match at least one pattern; a text matching none is flagged. */
        ALLOW
    }

    private record NamedPattern(String name, Pattern pattern) {
    }

    private final String name;
    private final List<NamedPattern> patterns;
    private final Mode mode;
    private final boolean redact;
    private final String redactionToken;
    private final boolean flagWhenSanitized;
    private final long minSteps;
    private final int stepsPerChar;
    private final int maxEvidence;

    private RegexScanner(Builder b) {
        this.name = b.name;
        this.patterns = List.copyOf(b.patterns);
        this.mode = b.mode;
        this.redact = b.redact;
        this.redactionToken = b.redactionToken;
        this.flagWhenSanitized = b.flagWhenSanitized;
        this.minSteps = b.minSteps;
        this.stepsPerChar = b.stepsPerChar;
        this.maxEvidence = b.maxEvidence;
    }

    /** A builder; at least one {@link Builder#pattern} is needed before {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** True when matches are redacted, i.e. this scanner may rewrite text. */
    @Override
    public boolean isSanitizer() {
        return redact;
    }

    public Mode mode() {
        return mode;
    }

    /** The patterns' names, in declared order. */
    public List<String> patternNames() {
        return patterns.stream().map(NamedPattern::name).toList();
    }

    /** The reads one pattern may make in one scan of a text of {@code length} chars. */
    public long stepBudget(int length) {
        return RuleResults.budget(minSteps, stepsPerChar, length);
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        long start = System.nanoTime();
        String current = null;
        try {
            String text = input.text();
            if (mode == Mode.ALLOW) {
                for (NamedPattern p : patterns) {
                    current = p.name();
                    Matcher m = p.pattern().matcher(budgeted(text, p));
                    if (m.find()) {
                        ScanResult.Builder r = ScanResult.builder(name, input.stage()).decision(Decision.PASSED).label(p.name());
                        RuleResults.evidence(r, List.of(new RuleMatch(m.start(), m.end(), p.name(), null)), maxEvidence);
                        return r.latency(RuleResults.since(start)).build();
                    }
                }
                return ScanResult.builder(name, input.stage()).decision(Decision.FLAGGED).label(NO_ALLOWED_MATCH)
                        .evidence(new Evidence(0, text.length(), NO_ALLOWED_MATCH, Double.NaN,
                                "matched none of " + patterns.size() + " allowed pattern(s)"))
                        .attribute("matches", "0").latency(RuleResults.since(start)).build();
            }
            List<RuleMatch> matches = new ArrayList<>();
            for (NamedPattern p : patterns) {
                current = p.name();
                Matcher m = p.pattern().matcher(budgeted(text, p));
                while (m.find()) {
                    if (m.end() > m.start()) {
                        matches.add(new RuleMatch(m.start(), m.end(), p.name(), null));
                    }
                }
            }
            current = null;
            ScanResult.Builder r = ScanResult.builder(name, input.stage());
            if (matches.isEmpty()) {
                return r.decision(Decision.PASSED).attribute("matches", "0").latency(RuleResults.since(start)).build();
            }
            // Stable sort: at one position, the declared order of the patterns decides.
            matches.sort(Comparator.comparingInt(RuleMatch::start));
            String sanitized = redact ? RuleResults.changed(text, Redaction.apply(text, matches, m -> redactionToken)) : null;
            boolean flagged = sanitized == null || flagWhenSanitized;
            r.decision(flagged ? Decision.FLAGGED : Decision.PASSED).label(matches.get(0).label()).sanitizedText(sanitized);
            RuleResults.evidence(r, matches, maxEvidence);
            return r.latency(RuleResults.since(start)).build();
        } catch (RuntimeException e) {
            return error(input.stage(), current, e, start);
        } catch (StackOverflowError e) {
            // The JDK matcher recurses once per iteration of a repeated group; the stack unwinds
            // cleanly, so this is an input the pattern cannot handle, not a broken JVM.
            return error(input.stage(), current, new IllegalStateException("pattern '" + current + "' overflowed the stack on a text of "
                    + input.text().length() + " chars; avoid repeating groups over long texts (use a character class, "
                    + "possessive or bounded quantifiers)", e), start);
        }
    }

    private BudgetedCharSequence budgeted(String text, NamedPattern p) {
        return new BudgetedCharSequence(text, stepBudget(text.length()), p.name(),
                "RegexScanner.builder().stepsPerChar(...) or .minSteps(...)");
    }

    private ScanResult error(Stage stage, String pattern, Throwable e, long start) {
        ScanResult.Builder r = ScanResult.builder(name, stage).decision(Decision.ERROR).error(e).latency(RuleResults.since(start));
        if (pattern != null) {
            r.label(pattern).attribute("pattern", pattern);
        }
        return r.build();
    }

    @Override
    public String toString() {
        return "RegexScanner{" + name + ", " + mode + ", " + patterns.size() + " patterns" + (redact ? ", redact" : "") + '}';
    }

    /** Settings for a {@link RegexScanner}; each setter validates at once. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private final List<NamedPattern> patterns = new ArrayList<>();
        private Mode mode = Mode.BLOCK;
        private boolean redact;
        private String redactionToken = DEFAULT_REDACTION_TOKEN;
        private boolean flagWhenSanitized = true;
        private long minSteps = DEFAULT_MIN_STEPS;
        private int stepsPerChar = DEFAULT_STEPS_PER_CHAR;
        private int maxEvidence = RuleResults.DEFAULT_MAX_EVIDENCE;

        private Builder() {
        }

        /** The scanner's name in results (default {@value RegexScanner#DEFAULT_NAME}). */
        public Builder name(String name) {
            this.name = RuleResults.name(name);
            return this;
        }

        /** Adds a pattern, compiled with no flags and named by its source. */
        public Builder pattern(String regex) {
            Objects.requireNonNull(regex, "regex");
            return pattern(regex, regex);
        }

        /** Adds a pattern, compiled with no flags, reported under {@code patternName}. */
        public Builder pattern(String patternName, String regex) {
            Objects.requireNonNull(patternName, "patternName");
            Objects.requireNonNull(regex, "regex");
            try {
                return pattern(patternName, Pattern.compile(regex));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("pattern '" + patternName + "' is not a valid regular expression: "
                        + e.getMessage(), e);
            }
        }

        /** Adds a compiled pattern (with its flags), named by its source. */
        public Builder pattern(Pattern pattern) {
            Objects.requireNonNull(pattern, "pattern");
            return pattern(pattern.pattern(), pattern);
        }

        /** Adds a compiled pattern (with its flags), reported under {@code patternName}. */
        public Builder pattern(String patternName, Pattern pattern) {
            Objects.requireNonNull(patternName, "patternName");
            Objects.requireNonNull(pattern, "pattern");
            if (patternName.isBlank()) {
                throw new IllegalArgumentException("patternName must not be blank");
            }
            patterns.add(new NamedPattern(patternName, pattern));
            return this;
        }

        /** Adds several patterns, each compiled with no flags and named by its source. */
        public Builder patterns(Collection<String> regexes) {
            Objects.requireNonNull(regexes, "regexes");
            int i = 0;
            for (String regex : regexes) {
                int index = i++;
                pattern(Objects.requireNonNull(regex, () -> "regexes[" + index + "]"));
            }
            return this;
        }

        /** {@link Mode#BLOCK} (default) or {@link Mode#ALLOW}. */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Whether BLOCK-mode matches are replaced by the redaction token, making this a sanitizer (default false). */
        public Builder redact(boolean redact) {
            this.redact = redact;
            return this;
        }

        /** What each redacted match becomes (default {@value RegexScanner#DEFAULT_REDACTION_TOKEN}); empty deletes it. */
        public Builder redactionToken(String redactionToken) {
            this.redactionToken = RuleResults.redactionToken(redactionToken);
            return this;
        }

        /**
         * Whether a text this scanner redacted is still {@link Decision#FLAGGED} (default true, so
         * the guard blocks); false lets the redacted text through as {@link Decision#PASSED}.
         */
        public Builder flagWhenSanitized(boolean flagWhenSanitized) {
            this.flagWhenSanitized = flagWhenSanitized;
            return this;
        }

        /**
         * The read budget of one pattern on one text of up to {@code minSteps / stepsPerChar}
         * chars (default {@value RegexScanner#DEFAULT_MIN_STEPS}); see {@link #stepsPerChar(int)}.
         */
        public Builder minSteps(long minSteps) {
            this.minSteps = RuleResults.minSteps(minSteps);
            return this;
        }

        /**
         * How many character reads per char of the text one pattern may make in one scan before it
         * is stopped with an ERROR result (default {@value RegexScanner#DEFAULT_STEPS_PER_CHAR});
         * the budget is {@code max(minSteps, stepsPerChar * length)}. Linear patterns read each
         * char 1 to 10 times (a long case-insensitive alternation more); raise this for patterns
         * that legitimately backtrack, lower it to stop runaway ones sooner.
         */
        public Builder stepsPerChar(int stepsPerChar) {
            this.stepsPerChar = RuleResults.stepsPerChar(stepsPerChar);
            return this;
        }

        /** The most evidence entries one result lists (default 1000); the {@code matches} attribute counts all. */
        public Builder maxEvidence(int maxEvidence) {
            this.maxEvidence = RuleResults.maxEvidence(maxEvidence);
            return this;
        }

        /**
         * @throws IllegalStateException if no pattern was added, or redaction was asked for in ALLOW
         *                               mode (there the matches are the wanted text)
         */
        public RegexScanner build() {
            if (patterns.isEmpty()) {
                throw new IllegalStateException("patterns must be set: RegexScanner.builder().pattern(...)");
            }
            if (redact && mode == Mode.ALLOW) {
                throw new IllegalStateException("redact(true) needs mode BLOCK; in ALLOW mode matches are the allowed text");
            }
            return new RegexScanner(this);
        }
    }
}
