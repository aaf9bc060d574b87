package dev.parapet.scanners;

import dev.parapet.core.Evidence;
import dev.parapet.core.ScanResult;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** What every rule scanner's results and builders have in common. */
final class RuleResults {
    /** Default for the rule scanners' {@code maxEvidence}: enough to act on, bounded for megabyte texts. */
    static final int DEFAULT_MAX_EVIDENCE = 1_000;

    /** Default floor of a regex read budget: what a short text may cost, a few milliseconds of matching. */
    static final long DEFAULT_MIN_STEPS = 1_000_000L;
    /** Default reads per character of a regex read budget: linear patterns need 1 to 10. */
    static final int DEFAULT_STEPS_PER_CHAR = 100;

    private RuleResults() {
    }

    /**
     * The reads one pattern may make on a text of {@code length} chars: {@code stepsPerChar} per
     * char, at least {@code minSteps}. Runaway backtracking is superlinear, so a budget that grows
     * linearly with the text stops it on any length while never stopping a linear pattern.
     */
    static long budget(long minSteps, int stepsPerChar, int length) {
        return Math.max(minSteps, (long) stepsPerChar * length);
    }

    static long minSteps(long minSteps) {
        if (minSteps <= 0) {
            throw new IllegalArgumentException("minSteps must be positive, got " + minSteps);
        }
        return minSteps;
    }

    static int stepsPerChar(int stepsPerChar) {
        if (stepsPerChar <= 0) {
            throw new IllegalArgumentException("stepsPerChar must be positive, got " + stepsPerChar);
        }
        return stepsPerChar;
    }

    /**
     * Adds one {@link Evidence} per match (score {@code NaN}: rules have no probability), at most
     * {@code maxEvidence} of them, and the attribute {@code matches} with the full count; when some
     * were left out, {@code evidence_dropped} says how many. A text of a million hits must not
     * become a million evidence objects in a result that may be logged or serialised.
     */
    static void evidence(ScanResult.Builder result, List<RuleMatch> matches, int maxEvidence) {
        int shown = Math.min(matches.size(), maxEvidence);
        for (int i = 0; i < shown; i++) {
            RuleMatch m = matches.get(i);
            result.evidence(new Evidence(m.start(), m.end(), m.label(), Double.NaN, m.detail()));
        }
        result.attribute("matches", Integer.toString(matches.size()));
        if (shown < matches.size()) {
            result.attribute("evidence_dropped", Integer.toString(matches.size() - shown));
        }
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** A scanner name: non-null, not blank. */
    static String name(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        return name;
    }

    static int maxEvidence(int maxEvidence) {
        if (maxEvidence < 0) {
            throw new IllegalArgumentException("maxEvidence must be >= 0, got " + maxEvidence);
        }
        return maxEvidence;
    }

    /** A redaction token: non-null; may be empty (the match is then deleted). */
    static String redactionToken(String token) {
        return Objects.requireNonNull(token, "redactionToken");
    }

    /** {@code null} when a redaction changed nothing: results carry sanitized text only when it differs. */
    static String changed(String original, String sanitized) {
        return original.equals(sanitized) ? null : sanitized;
    }
}
