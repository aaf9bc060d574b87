package dev.parapet.scanners;

import dev.parapet.scanners.SecretsScanner.SecretType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The catalogue behind {@link SecretsScanner}: one rule per {@link SecretType}, and the checks that
 * keep the generic rules quiet on ordinary text.
 *
 * <p>Every pattern repeats only character classes, with bounded or possessive quantifiers, so the
 * JDK matcher neither backtracks far nor recurses per character: a megabyte of text costs each
 * rule a few reads per character. Prefix rules are fenced by look-arounds on the token alphabet
 * rather than {@code \b}, since the alphabets include {@code -} and {@code _}.
 */
final class SecretRules {
    /** A secret found: where, what, and whether a more specific rule outranks it on overlap. */
    record Found(int start, int end, SecretType type, int priority) {
    }

    /**
     * One rule. {@code needles} are literals every match contains (lower case when
     * {@code ignoreCase}): a text holding none of them skips the regex, and {@code indexOf} over a
     * megabyte costs far less than a regex trying each position.
     */
    private record Rule(SecretType type, Pattern pattern, int group, Predicate<String> accept, int priority,
                        boolean ignoreCase, String... needles) {
        boolean mayMatch(String text, String lowerText) {
            String haystack = ignoreCase ? lowerText : text;
            for (String needle : needles) {
                if (haystack.contains(needle)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final int SPECIFIC = 0;
    private static final int GENERIC = 1;

    private static final List<Rule> RULES = List.of(
            rule(SecretType.AWS_ACCESS_KEY_ID,
                    "(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
                    "AKIA", "ASIA", "ABIA", "ACCA"),
            rule(SecretType.GITHUB_TOKEN,
                    "(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}+(?![A-Za-z0-9_])",
                    "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
            rule(SecretType.GITHUB_PAT,
                    "(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}+",
                    "github_pat_"),
            rule(SecretType.GITLAB_TOKEN,
                    "(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,255}+",
                    "glpat-"),
            new Rule(SecretType.SLACK_TOKEN, Pattern.compile(
                    "(?<![A-Za-z0-9-])xox[abprs]-[A-Za-z0-9-]{10,255}+"), 0, SecretRules::hasDigit, SPECIFIC,
                    false, "xox"),
            rule(SecretType.STRIPE_KEY,
                    "(?<![A-Za-z0-9_])[rs]k_live_[A-Za-z0-9]{16,247}+(?![A-Za-z0-9_])",
                    "k_live_"),
            rule(SecretType.GOOGLE_API_KEY,
                    "(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])",
                    "AIza"),
            rule(SecretType.ANTHROPIC_API_KEY,
                    "(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{32,400}+",
                    "sk-ant-"),
            // "sk-" starts plenty of ordinary words ("sk-learn-compatible-estimators"); a key mixes
            // upper case, lower case and digits, prose does not.
            new Rule(SecretType.OPENAI_API_KEY, Pattern.compile(
                    "(?<![A-Za-z0-9_-])sk-(?!ant-)[A-Za-z0-9_-]{32,400}+"), 0, SecretRules::mixesCaseAndDigits, SPECIFIC,
                    false, "sk-"),
            rule(SecretType.JWT,
                    "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,8000}+\\.eyJ[A-Za-z0-9_-]{5,8000}+\\.[A-Za-z0-9_-]{0,8000}+",
                    "eyJ"),
            new Rule(SecretType.BEARER_TOKEN, Pattern.compile(
                    "(?<![A-Za-z0-9])(?i:bearer)[ \\t]{1,4}+([A-Za-z0-9._~+/-]{20,4000}+=*+)"), 1,
                    SecretRules::hasLetterAndDigit, GENERIC, true, "bearer"),
            new Rule(SecretType.GENERIC_SECRET, Pattern.compile(assignment(
                    "api[_-]?key|apikey|secret|token|access[_-]?key|auth[_-]?key|credential")), 1,
                    SecretRules::looksLikeKey, GENERIC, true, "key", "secret", "token", "credential"),
            new Rule(SecretType.PASSWORD, Pattern.compile(assignment(
                    "passw(?:or)?d|passphrase|pwd")), 1,
                    SecretRules::looksLikePassword, GENERIC, true, "pass", "pwd"));

    /**
     * {@code <keyword><_suffix>? ["']? <sep> ["'`]? <value>}, value in group 1. The keyword may
     * follow other letters ({@code clientSecret}, {@code aws_secret_access_key}) but may only be
     * continued after {@code _ . -}, so {@code tokenizer:} and {@code secretary:} are not keys.
     */
    private static String assignment(String keywords) {
        return "(?i:" + keywords + ")(?:[_.-][A-Za-z0-9_.-]{0,30}+)?[\"']?[ \\t]{0,3}+(?:=>|:=|=|:)[ \\t]{0,3}+[\"'`]?"
                + "([^\\s\"'`<>{}()\\[\\],;=$%][^\\s\"'`<>{}()\\[\\],;]{5,255}+)";
    }

    private static final Pattern PEM_BEGIN = Pattern.compile("-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----");
    private static final Pattern PEM_END = Pattern.compile("-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----");

    private static Rule rule(SecretType type, String regex, String... needles) {
        return new Rule(type, Pattern.compile(regex), 0, s -> true, SPECIFIC, false, needles);
    }

    private SecretRules() {
    }

    /**
     * Every secret of the enabled types in {@code text}, overlaps resolved (a specific rule beats
     * a generic one; among equals, the earlier and then the longer wins), ordered by position.
     *
     * @throws RegexBudgetExceededException if a rule makes more than {@code budget} reads
     */
    static List<Found> find(String text, Set<SecretType> types, long budget) {
        List<Found> candidates = new ArrayList<>();
        if (types.contains(SecretType.PRIVATE_KEY)) {
            privateKeys(text, budget, candidates);
        }
        String lowerText = null;
        for (Rule rule : RULES) {
            if (!types.contains(rule.type())) {
                continue;
            }
            if (rule.ignoreCase() && lowerText == null) {
                // Only to look for needles, so a length change by folding (U+0130) does not matter.
                lowerText = text.toLowerCase(Locale.ROOT);
            }
            if (!rule.mayMatch(text, lowerText)) {
                continue;
            }
            Matcher m = rule.pattern().matcher(budgeted(text, rule.type(), budget));
            while (m.find()) {
                int start = m.start(rule.group());
                int end = m.end(rule.group());
                // Prose puts a full stop after a value; keys and tokens do not end in one.
                while (end > start && text.charAt(end - 1) == '.') {
                    end--;
                }
                if (end > start && rule.accept().test(text.substring(start, end))) {
                    candidates.add(new Found(start, end, rule.type(), rule.priority()));
                }
            }
        }
        return resolve(candidates);
    }

    private static List<Found> resolve(List<Found> candidates) {
        candidates.sort((a, b) -> a.priority() != b.priority() ? Integer.compare(a.priority(), b.priority())
                : a.start() != b.start() ? Integer.compare(a.start(), b.start())
                : Integer.compare(b.end(), a.end()));
        // Kept spans never overlap, so the one starting last before f's end is the only one that
        // can reach into f: one lookup per candidate, not a scan of all kept (a megabyte of JWTs
        // has tens of thousands).
        TreeMap<Integer, Found> kept = new TreeMap<>();
        for (Found f : candidates) {
            Map.Entry<Integer, Found> before = kept.lowerEntry(f.end());
            if (before == null || before.getValue().end() <= f.start()) {
                kept.put(f.start(), f);
            }
        }
        return new ArrayList<>(kept.values());
    }

    /**
     * PEM private key blocks from BEGIN through the next END. The END markers are found once up
     * front, so many BEGINs without an END cost one pass, not one pass each. A BEGIN with no END
     * (a key cut off mid-paste) still reaches over the base64 body that follows it: half a key is
     * still a leak.
     */
    private static void privateKeys(String text, long budget, List<Found> out) {
        if (!text.contains("PRIVATE KEY")) {
            return;
        }
        List<int[]> ends = new ArrayList<>();
        Matcher e = PEM_END.matcher(budgeted(text, SecretType.PRIVATE_KEY, budget));
        while (e.find()) {
            ends.add(new int[] {e.start(), e.end()});
        }
        Matcher b = PEM_BEGIN.matcher(budgeted(text, SecretType.PRIVATE_KEY, budget));
        int next = 0;
        int from = 0;
        while (from < text.length() && b.find(from)) {
            while (next < ends.size() && ends.get(next)[0] < b.end()) {
                next++;
            }
            int end = next < ends.size() ? ends.get(next)[1] : bodyEnd(text, b.end());
            out.add(new Found(b.start(), end, SecretType.PRIVATE_KEY, SPECIFIC));
            from = end;
        }
    }

    /**
     * Where a PEM body without END stops. The body is whole lines of base64 (a key pasted into
     * JSON has {@code \\n} escapes instead, so backslashes count too), all as long as the first
     * but the last: a shorter line, a line with {@code =} padding, a blank line or a line with
     * anything else ends it. Prose glued to the last line without a blank line between may be
     * taken for body; redacting a word too many beats leaking half a key.
     */
    private static int bodyEnd(String text, int from) {
        int end = from;
        int firstLength = -1;
        int i = from;
        boolean headerLine = true;
        while (i <= text.length()) {
            int lineEnd = text.indexOf('\n', i);
            if (lineEnd < 0) {
                lineEnd = text.length();
            }
            int a = i;
            int b = lineEnd;
            while (a < b && Character.isWhitespace(text.charAt(a))) {
                a++;
            }
            while (b > a && Character.isWhitespace(text.charAt(b - 1))) {
                b--;
            }
            int solid = a;
            while (solid < b && isBase64(text.charAt(solid))) {
                solid++;
            }
            if (headerLine) {
                // The rest of the BEGIN line: empty for a PEM file, the whole body for an
                // escaped one-liner; its base64 prefix is body either way.
                end = Math.max(end, solid);
                if (solid < b) {
                    break;
                }
            }
            if (!(headerLine && a == b)) {
                // Past the header's own line, only whole base64 lines continue the body.
                if (a == b || solid < b) {
                    break;
                }
                end = b;
                int length = b - a;
                if (firstLength < 0) {
                    firstLength = length;
                }
                if (length < firstLength || text.lastIndexOf('=', b - 1) >= a) {
                    break;
                }
            }
            headerLine = false;
            i = lineEnd + 1;
        }
        return end;
    }

    private static boolean isBase64(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '+' || c == '/' || c == '=' || c == '\\';
    }

    private static BudgetedCharSequence budgeted(String text, SecretType type, long budget) {
        return new BudgetedCharSequence(text, budget, "secrets:" + type.label(), "SecretsScanner.builder().stepsPerChar(...) or .minSteps(...)");
    }

    static boolean hasDigit(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    static boolean hasLetterAndDigit(String s) {
        boolean letter = false;
        boolean digit = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            letter |= Character.isLetter(c);
            digit |= Character.isDigit(c);
        }
        return letter && digit;
    }

    static boolean mixesCaseAndDigits(String s) {
        boolean upper = false;
        boolean lower = false;
        boolean digit = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
        }
        return upper && lower && digit;
    }

    /**
     * A value assigned to an API key, secret or token: at least 16 chars, letters and digits, at
     * least 3 bits of entropy per char, and no placeholder ({@code your_api_key_here},
     * {@code xxxx}, {@code EXAMPLE}). Random keys of that length pass almost surely; English,
     * identifiers and config references almost never do.
     */
    static boolean looksLikeKey(String value) {
        return value.length() >= 16 && hasLetterAndDigit(value) && entropy(value) >= 3.0 && !placeholder(value);
    }

    /**
     * A value assigned to a password: at least 8 chars of at least two kinds (lower, upper, digit,
     * symbol), at least 2.5 bits per char, no placeholder. Weak passwords are passwords too, so no
     * more than that is asked; "password: please choose one" has no second kind and passes as prose.
     */
    static boolean looksLikePassword(String value) {
        if (value.length() < 8 || placeholder(value) || entropy(value) < 2.5) {
            return false;
        }
        int kinds = 0;
        boolean lower = false;
        boolean upper = false;
        boolean digit = false;
        boolean symbol = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isLowerCase(c)) {
                lower = true;
            } else if (Character.isUpperCase(c)) {
                upper = true;
            } else if (Character.isDigit(c)) {
                digit = true;
            } else {
                symbol = true;
            }
        }
        kinds += lower ? 1 : 0;
        kinds += upper ? 1 : 0;
        kinds += digit ? 1 : 0;
        kinds += symbol ? 1 : 0;
        return kinds >= 2;
    }

    private static boolean placeholder(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        return v.contains("example") || v.contains("placeholder") || v.contains("your") || v.contains("xxxx")
                || v.contains("****") || v.contains("redacted") || v.contains("dummy") || v.contains("...")
                || v.chars().distinct().count() <= 2;
    }

    /** Shannon entropy in bits per char. */
    static double entropy(String s) {
        if (s.isEmpty()) {
            return 0.0;
        }
        java.util.Map<Character, Integer> counts = new java.util.HashMap<>();
        for (int i = 0; i < s.length(); i++) {
            counts.merge(s.charAt(i), 1, Integer::sum);
        }
        double h = 0.0;
        for (int c : counts.values()) {
            double p = (double) c / s.length();
            h -= p * (Math.log(p) / Math.log(2));
        }
        return h;
    }
}
