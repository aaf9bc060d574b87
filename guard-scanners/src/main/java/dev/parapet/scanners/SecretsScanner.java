package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Finds credentials in a text (API keys, tokens, private keys, passwords in assignments) and by
 * default redacts each one as {@code [REDACTED:<type>]}.
 *
 * <pre>{@code
 * Scanner secrets = SecretsScanner.builder().build();                      // detect and redact all types
 * Scanner awsOnly = SecretsScanner.builder().types(SecretType.AWS_ACCESS_KEY_ID).redact(false).build();
 * }</pre>
 *
 * <h2>What is found ({@link SecretType})</h2>
 * <table>
 *   <caption>Secret types</caption>
 *   <tr><th>type</th><th>shape</th></tr>
 *   <tr><td>{@code aws_access_key_id}</td><td>{@code AKIA}, {@code ASIA}, {@code ABIA} or {@code ACCA} + 16 upper-case letters or digits</td></tr>
 *   <tr><td>{@code github_token}</td><td>{@code ghp_ gho_ ghu_ ghs_ ghr_} + 36 or more letters or digits</td></tr>
 *   <tr><td>{@code github_pat}</td><td>{@code github_pat_} + 22 or more of {@code [A-Za-z0-9_]}</td></tr>
 *   <tr><td>{@code gitlab_token}</td><td>{@code glpat-} + 20 or more of {@code [A-Za-z0-9_-]}</td></tr>
 *   <tr><td>{@code slack_token}</td><td>{@code xoxa- xoxb- xoxp- xoxr- xoxs-} + 10 or more of {@code [A-Za-z0-9-]}, with a digit</td></tr>
 *   <tr><td>{@code stripe_key}</td><td>{@code sk_live_} or {@code rk_live_} + 16 or more letters or digits (test keys are not secrets)</td></tr>
 *   <tr><td>{@code google_api_key}</td><td>{@code AIza} + 35 of {@code [A-Za-z0-9_-]}</td></tr>
 *   <tr><td>{@code anthropic_api_key}</td><td>{@code sk-ant-} + 32 or more of {@code [A-Za-z0-9_-]}</td></tr>
 *   <tr><td>{@code openai_api_key}</td><td>{@code sk-} (also {@code sk-proj-}, {@code sk-svcacct-}) + 32 or more of
 *       {@code [A-Za-z0-9_-]}, mixing upper case, lower case and digits</td></tr>
 *   <tr><td>{@code jwt}</td><td>three base64url parts, the first two JSON objects ({@code eyJ...}), joined by dots</td></tr>
 *   <tr><td>{@code private_key}</td><td>a PEM block from {@code -----BEGIN ... PRIVATE KEY-----} (RSA, EC, DSA, OPENSSH,
 *       ENCRYPTED, PGP ... BLOCK) through its {@code -----END ...-----} line; without an END line, through the base64
 *       body that follows</td></tr>
 *   <tr><td>{@code bearer_token}</td><td>{@code Bearer} + 20 or more token characters with letters and digits</td></tr>
 *   <tr><td>{@code generic_secret}</td><td>the value of an assignment to a name containing {@code api_key}, {@code apikey},
 *       {@code secret}, {@code token}, {@code access_key}, {@code auth_key} or {@code credential}
 *       ({@code =}, {@code :}, {@code :=}, {@code =>}; quotes allowed), if the value has 16 or more characters,
 *       letters and digits, at least 3 bits of entropy per character and no placeholder wording</td></tr>
 *   <tr><td>{@code password}</td><td>the value of an assignment to a name containing {@code password}, {@code passwd},
 *       {@code passphrase} or {@code pwd}, if it has 8 or more characters of at least two kinds (lower, upper,
 *       digit, symbol) and at least 2.5 bits of entropy per character</td></tr>
 * </table>
 *
 * <h2>False positives and misses</h2>
 * Prefix types match on shape alone, so documentation examples ({@code AKIAIOSFODNN7EXAMPLE}) are
 * found too. Generic types report only the value (the name stays readable) and skip values that
 * look like placeholders ({@code example}, {@code your_...}, {@code xxxx}, {@code ***},
 * {@code ...}), references ({@code $VAR}, {@code ${var}}, {@code %VAR%}) or prose; UUIDs and
 * hashes in ordinary text are never matched, but a UUID assigned to {@code token} is reported
 * (some services use UUIDs as keys). A name only counts when its keyword is not continued by a
 * letter: {@code tokenizer: bert} and {@code secretary: Jane} are not keys, while
 * {@code clientSecret} and {@code aws_secret_access_key} are. Not covered: passwords in URLs
 * ({@code https://user:pass@host}), keys split across lines or strings, and secrets with no
 * recognisable prefix or name. Where a specific type and a generic one overlap
 * ({@code OPENAI_API_KEY=sk-...}), the specific one is reported.
 *
 * <h2>Results</h2>
 * {@link Decision#FLAGGED} when anything was found, else {@link Decision#PASSED}; score and
 * threshold are {@code NaN}. One evidence per secret, as UTF-16 offsets into the judged text,
 * labelled with its type; the result's label is the first secret's type. Attributes:
 * {@code matches} (and {@code evidence_dropped} past {@link Builder#maxEvidence}). With
 * {@link Builder#redact(boolean) redact(true)} (the default) the scanner is a sanitizer and the
 * result is still FLAGGED unless {@link Builder#flagWhenSanitized(boolean) flagWhenSanitized(false)}.
 * Each rule runs under the same kind of read budget as {@link RegexScanner} ({@link Builder#minSteps},
 * {@link Builder#stepsPerChar}), a safety net, since the rules are written to be linear;
 * a rule over it makes an ERROR result naming {@code secrets:<type>}. Evidence details and error
 * messages never quote a secret.
 *
 * <p>Immutable and thread-safe.
 */
public final class SecretsScanner implements Scanner {
    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "secrets";

    /** The kinds of secret found; {@link #label()} is the evidence label and goes into the redaction token. */
    public enum SecretType {
        AWS_ACCESS_KEY_ID("aws_access_key_id"),
        GITHUB_TOKEN("github_token"),
        GITHUB_PAT("github_pat"),
        GITLAB_TOKEN("gitlab_token"),
        SLACK_TOKEN("slack_token"),
        STRIPE_KEY("stripe_key"),
        GOOGLE_API_KEY("google_api_key"),
        ANTHROPIC_API_KEY("anthropic_api_key"),
        OPENAI_API_KEY("openai_api_key"),
        JWT("jwt"),
        PRIVATE_KEY("private_key"),
        BEARER_TOKEN("bearer_token"),
        GENERIC_SECRET("generic_secret"),
        PASSWORD("password");

        private final String label;

        SecretType(String label) {
            this.label = label;
        }

        /** E.g. {@code "aws_access_key_id"}. */
        public String label() {
            return label;
        }

        /** What a secret of this type is redacted to, e.g. {@code "[REDACTED:jwt]"}. */
        public String redactionToken() {
            return "[REDACTED:" + label + "]";
        }
    }

    private final String name;
    private final Set<SecretType> types;
    private final boolean redact;
    private final boolean flagWhenSanitized;
    private final long minSteps;
    private final int stepsPerChar;
    private final int maxEvidence;

    private SecretsScanner(Builder b) {
        this.name = b.name;
        this.types = Set.copyOf(b.types);
        this.redact = b.redact;
        this.flagWhenSanitized = b.flagWhenSanitized;
        this.minSteps = b.minSteps;
        this.stepsPerChar = b.stepsPerChar;
        this.maxEvidence = b.maxEvidence;
    }

    /** A builder with the defaults: every type, redaction on. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** True when secrets are redacted (the default), i.e. this scanner may rewrite text. */
    @Override
    public boolean isSanitizer() {
        return redact;
    }

    public Set<SecretType> types() {
        return types;
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        long start = System.nanoTime();
        try {
            String text = input.text();
            List<SecretRules.Found> found = SecretRules.find(text, types, RuleResults.budget(minSteps, stepsPerChar, text.length()));
            ScanResult.Builder r = ScanResult.builder(name, input.stage());
            if (found.isEmpty()) {
                return r.decision(Decision.PASSED).attribute("matches", "0").latency(RuleResults.since(start)).build();
            }
            List<RuleMatch> matches = new ArrayList<>(found.size());
            for (SecretRules.Found f : found) {
                matches.add(new RuleMatch(f.start(), f.end(), f.type().label(), null));
            }
            String sanitized = redact
                    ? RuleResults.changed(text, Redaction.apply(text, matches, m -> "[REDACTED:" + m.label() + "]"))
                    : null;
            boolean flagged = sanitized == null || flagWhenSanitized;
            r.decision(flagged ? Decision.FLAGGED : Decision.PASSED).label(matches.get(0).label()).sanitizedText(sanitized);
            RuleResults.evidence(r, matches, maxEvidence);
            return r.latency(RuleResults.since(start)).build();
        } catch (RegexBudgetExceededException e) {
            return ScanResult.builder(name, input.stage()).decision(Decision.ERROR).error(e).label(e.pattern())
                    .attribute("pattern", e.pattern()).latency(RuleResults.since(start)).build();
        } catch (RuntimeException | StackOverflowError e) {
            // The rules repeat only character classes, so the JDK matcher should never recurse
            // deeply; if a future rule does, the caller still gets a result.
            return ScanResult.error(name, input.stage(), e, RuleResults.since(start));
        }
    }

    @Override
    public String toString() {
        return "SecretsScanner{" + name + ", " + types.size() + " types" + (redact ? ", redact" : "") + '}';
    }

    /** Settings for a {@link SecretsScanner}; each setter validates at once. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private Set<SecretType> types = EnumSet.allOf(SecretType.class);
        private boolean redact = true;
        private boolean flagWhenSanitized = true;
        private long minSteps = RuleResults.DEFAULT_MIN_STEPS;
        private int stepsPerChar = RuleResults.DEFAULT_STEPS_PER_CHAR;
        private int maxEvidence = RuleResults.DEFAULT_MAX_EVIDENCE;

        private Builder() {
        }

        /** The scanner's name in results (default {@value SecretsScanner#DEFAULT_NAME}). */
        public Builder name(String name) {
            this.name = RuleResults.name(name);
            return this;
        }

        /** The types to look for, replacing the default (all); at least one. */
        public Builder types(Collection<SecretType> types) {
            Objects.requireNonNull(types, "types");
            if (types.isEmpty()) {
                throw new IllegalArgumentException("types needs at least one SecretType");
            }
            for (SecretType t : types) {
                Objects.requireNonNull(t, "types contains null");
            }
            this.types = EnumSet.copyOf(types);
            return this;
        }

        /** The types to look for; see {@link #types(Collection)}. */
        public Builder types(SecretType... types) {
            Objects.requireNonNull(types, "types");
            return types(Arrays.asList(types));
        }

        /** Whether secrets are replaced by {@code [REDACTED:<type>]}, making this a sanitizer (default true). */
        public Builder redact(boolean redact) {
            this.redact = redact;
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

        /** The read budget of one rule on a short text (default {@value RegexScanner#DEFAULT_MIN_STEPS}); see {@link RegexScanner.Builder#minSteps}. */
        public Builder minSteps(long minSteps) {
            this.minSteps = RuleResults.minSteps(minSteps);
            return this;
        }

        /** Reads per char one rule may make (default {@value RegexScanner#DEFAULT_STEPS_PER_CHAR}); see {@link RegexScanner.Builder#stepsPerChar}. */
        public Builder stepsPerChar(int stepsPerChar) {
            this.stepsPerChar = RuleResults.stepsPerChar(stepsPerChar);
            return this;
        }

        /** The most evidence entries one result lists (default 1000); the {@code matches} attribute counts all. */
        public Builder maxEvidence(int maxEvidence) {
            this.maxEvidence = RuleResults.maxEvidence(maxEvidence);
            return this;
        }

        public SecretsScanner build() {
            return new SecretsScanner(this);
        }
    }
}
