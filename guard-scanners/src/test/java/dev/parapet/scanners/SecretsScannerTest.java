package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.scanners.SecretsScanner.SecretType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Made-up credentials in the real formats; none of them is live. */
class SecretsScannerTest {
    static final SecretsScanner SCANNER = SecretsScanner.builder().build();

    /** A deterministic token of {@code n} chars mixing upper case, lower case and digits. */
    static String token(int n) {
        String alphabet = "aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW1xYz";
        StringBuilder s = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            s.append(alphabet.charAt((i * 7) % alphabet.length()));
        }
        return s.toString();
    }

    static final String AWS = "AKIAIOSFODNN7EXAMPLE";
    static final String GITHUB = "ghp_" + token(36);
    static final String GITHUB_PAT = "github_pat_" + token(22) + "_" + token(59);
    static final String GITLAB = "glpat-" + token(20);
    static final String SLACK = "xoxb-123456789012-1234567890123-" + token(24);
    static final String STRIPE = "sk_live_" + token(24);
    static final String GOOGLE = "AIza" + token(35);
    static final String OPENAI = "sk-proj-" + token(48);
    static final String ANTHROPIC = "sk-ant-api03-" + token(90);
    static final String JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
            + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    static final String PEM = "-----BEGIN RSA PRIVATE KEY-----\n"
            + "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+F3bcVw4nQ6Q2RtYxkWkGtYR\n"
            + "q8Lh3dYp1cT7HkLZxQk0r+Jm4K9vM3pQ2R5wXyZ1aBcDeFgHiJkLmNoPqRsTuVw=\n"
            + "-----END RSA PRIVATE KEY-----";

    static ScanResult scan(String text) {
        return SCANNER.scan(ScanInput.prompt(text));
    }

    @Test
    void should_redact_a_password_with_correct_offsets_after_emoji() {
        String text = "😀😀 password=Xk9#mQ2vL7pR4wZ now";

        ScanResult r = scan(text);

        assertThat(SCANNER.isSanitizer()).isTrue();
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.label()).isEqualTo("password");
        assertThat(r.score()).isNaN();
        assertThat(r.threshold()).isNaN();
        assertThat(r.evidence()).singleElement().satisfies(e -> {
            assertThat(e.start()).isEqualTo(14);
            assertThat(e.excerpt(text)).isEqualTo("Xk9#mQ2vL7pR4wZ");
            assertThat(e.label()).isEqualTo("password");
            assertThat(e.detail()).isNull();
        });
        assertThat(r.sanitizedText()).isEqualTo("😀😀 password=[REDACTED:password] now");
    }

    @Test
    void should_find_each_secret_type_by_its_format() {
        String text = String.join("\n",
                "aws " + AWS,
                "gh " + GITHUB,
                "pat " + GITHUB_PAT,
                "gl " + GITLAB,
                "slack " + SLACK,
                "stripe " + STRIPE,
                "google " + GOOGLE,
                "openai " + OPENAI,
                "anthropic " + ANTHROPIC,
                "jwt " + JWT,
                PEM,
                "curl -H 'Authorization: Bearer " + token(40) + "'",
                "config: api_key = \"" + "9f86d081884c7d659a2feaa0c55ad015" + "\"",
                "DB_PASSWORD='hunter2!Secure'");

        ScanResult r = scan(text);

        assertThat(r.evidence()).extracting(Evidence::label).containsExactly(
                "aws_access_key_id", "github_token", "github_pat", "gitlab_token", "slack_token", "stripe_key",
                "google_api_key", "openai_api_key", "anthropic_api_key", "jwt", "private_key", "bearer_token",
                "generic_secret", "password");
        assertThat(r.evidence()).extracting(e -> e.excerpt(text)).containsExactly(
                AWS, GITHUB, GITHUB_PAT, GITLAB, SLACK, STRIPE, GOOGLE, OPENAI, ANTHROPIC, JWT, PEM, token(40),
                "9f86d081884c7d659a2feaa0c55ad015", "hunter2!Secure");
        assertThat(r.sanitizedText()).contains(
                "aws [REDACTED:aws_access_key_id]\n", "[REDACTED:private_key]\ncurl",
                "Bearer [REDACTED:bearer_token]'", "api_key = \"[REDACTED:generic_secret]\"",
                "DB_PASSWORD='[REDACTED:password]'");
        assertThat(r.sanitizedText()).doesNotContain(AWS, GITHUB, "MIIEow", token(40), "hunter2");
    }

    @Test
    void should_prefer_the_specific_type_when_a_generic_assignment_holds_a_known_key() {
        String text = "export OPENAI_API_KEY=" + OPENAI + "\nGITHUB_TOKEN: " + GITHUB;

        ScanResult r = scan(text);

        assertThat(r.evidence()).extracting(Evidence::label).containsExactly("openai_api_key", "github_token");
        assertThat(r.sanitizedText()).isEqualTo("export OPENAI_API_KEY=[REDACTED:openai_api_key]\nGITHUB_TOKEN: [REDACTED:github_token]");
    }

    @Test
    void should_redact_a_private_key_cut_off_before_its_end_line() {
        String text = "here:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nBG5vbmUAAAAEbm9uZQ==\n\nThanks!";

        ScanResult r = scan(text);

        assertThat(r.sanitizedText()).isEqualTo("here:\n[REDACTED:private_key]\n\nThanks!");

        // Pasted into JSON: one line, "\n" escapes, the closing quote ends the body.
        String json = "{\"key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\nBKcwggSjAgEAAoIBAQ\"}";
        assertThat(scan(json).sanitizedText()).isEqualTo("{\"key\": \"[REDACTED:private_key]\"}");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Your order 123e4567-e89b-12d3-a456-426614174000 has shipped and will arrive on Tuesday.",
            "trace_id=550e8400-e29b-41d4-a716-446655440000 request_id: 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed the tokenizer: bert-base-uncased bug",
            "Most sk-learn-compatible-estimators-and-transformers follow the same fit/predict protocol.",
            "The secretary: Jane Doe. Password: please choose a strong one. Use max_tokens: 4096.",
            "api_key = os.environ[\"API_KEY\"]; secret=${CLIENT_SECRET}; API_KEY=your_api_key_here",
            "password: ******** and token=xxxxxxxxxxxxxxxxxxxx and secret: example-secret-123456",
            "Bearer token authentication is described in RFC 6750; send the token in the header.",
            "A JSON Web Token has three parts separated by dots, e.g. header.payload.signature.",
            "The quick brown fox jumps over the lazy dog. 😀 Ünïcödé, 中文, العربية, and AKIA is a name."
    })
    void should_not_flag_ordinary_prose_placeholders_or_uuids(String text) {
        ScanResult r = scan(text);

        assertThat(r.decision()).as(text).isEqualTo(Decision.PASSED);
        assertThat(r.evidence()).isEmpty();
        assertThat(r.sanitizedText()).isNull();
    }

    @Test
    void should_detect_only_chosen_types_and_leave_text_when_redaction_is_off() {
        SecretsScanner awsOnly = SecretsScanner.builder().types(SecretType.AWS_ACCESS_KEY_ID).redact(false).build();
        String text = "keys: " + AWS + " and " + GITHUB;

        ScanResult r = awsOnly.scan(ScanInput.output("q", text));

        assertThat(awsOnly.isSanitizer()).isFalse();
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.sanitizedText()).isNull();
        assertThat(r.evidence()).extracting(Evidence::label).containsExactly("aws_access_key_id");
    }

    @Test
    void should_let_redacted_text_through_when_flagging_sanitized_text_is_off() {
        SecretsScanner scanner = SecretsScanner.builder().flagWhenSanitized(false).build();

        ScanResult r = scanner.scan(ScanInput.prompt("use " + STRIPE));

        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.sanitizedText()).isEqualTo("use [REDACTED:stripe_key]");
    }

    @Test
    void should_give_clear_results_on_empty_megabyte_and_malformed_text() {
        assertThat(scan("").decision()).isEqualTo(Decision.PASSED);

        String odd = "\uD83D key\u0000 " + AWS + "\u0007\uDE00";
        assertThat(scan(odd).sanitizedText()).isEqualTo("\uD83D key\u0000 [REDACTED:aws_access_key_id]\u0007\uDE00");

        String big = "Plain prose about tokens, secrets and passwords, no credentials at all. ".repeat(15_000)
                + "token=" + token(32);
        ScanResult r = scan(big);
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.evidence()).singleElement().satisfies(e -> assertThat(e.end()).isEqualTo(big.length()));

        // Adversarial: a megabyte of JWT-shaped fragments is many matches, not a hang.
        String jwts = ("eyJhbGciOi.eyJzdWIiOi." + " ").repeat(45_000);
        ScanResult many = SecretsScanner.builder().maxEvidence(2).build().scan(ScanInput.prompt(jwts));
        assertThat(many.attributes()).containsEntry("matches", "45000");
        assertThat(many.evidence()).hasSize(2);
    }

    @Test
    void should_validate_settings_at_once_naming_them() {
        assertThatThrownBy(() -> SecretsScanner.builder().types(new SecretType[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("types");
        assertThatThrownBy(() -> SecretsScanner.builder().types((SecretType[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("types");
        assertThatThrownBy(() -> SecretsScanner.builder().stepsPerChar(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stepsPerChar");
        assertThatThrownBy(() -> SecretsScanner.builder().minSteps(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minSteps");
        assertThat(SecretType.JWT.redactionToken()).isEqualTo("[REDACTED:jwt]");
    }
}
