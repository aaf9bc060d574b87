package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.scanners.RegexScanner.Mode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegexScannerTest {
    static final String PHONE = "\\b\\d{3}-\\d{3}-\\d{4}\\b";

    @Test
    void should_flag_and_redact_matches_with_utf16_offsets_after_emoji() {
        RegexScanner scanner = RegexScanner.builder().pattern("phone", PHONE).redact(true).build();
        String text = "😀 call 555-123-4567 or 𝄞 555-987-6543.";

        ScanResult r = scanner.scan(ScanInput.prompt(text));

        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.label()).isEqualTo("phone");
        assertThat(r.score()).isNaN();
        assertThat(r.threshold()).isNaN();
        assertThat(r.evidence()).extracting(e -> e.excerpt(text)).containsExactly("555-123-4567", "555-987-6543");
        assertThat(r.evidence().get(0).start()).isEqualTo(8);
        assertThat(r.evidence()).extracting(Evidence::label).containsOnly("phone");
        assertThat(r.sanitizedText()).isEqualTo("😀 call [REDACTED] or 𝄞 [REDACTED].");
        assertThat(scanner.isSanitizer()).isTrue();
    }

    @Test
    void should_pass_text_without_matches_in_block_mode() {
        RegexScanner scanner = RegexScanner.builder().pattern(PHONE).build();

        ScanResult r = scanner.scan(ScanInput.prompt("no numbers here"));

        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.evidence()).isEmpty();
        assertThat(r.sanitizedText()).isNull();
        assertThat(scanner.isSanitizer()).isFalse();
    }

    @Test
    void should_order_evidence_by_position_and_merge_overlapping_redactions() {
        RegexScanner scanner = RegexScanner.builder()
                .pattern("word", "secret\\w*")
                .pattern("digits", "\\d+")
                .pattern(Pattern.compile("ALPHA", Pattern.CASE_INSENSITIVE))
                .redact(true).redactionToken("#").build();
        String text = "alpha secret123 and 42";

        ScanResult r = scanner.scan(ScanInput.prompt(text));

        assertThat(r.evidence()).extracting(Evidence::label).containsExactly("ALPHA", "word", "digits", "digits");
        assertThat(r.evidence()).extracting(e -> e.excerpt(text)).containsExactly("alpha", "secret123", "123", "42");
        assertThat(r.label()).isEqualTo("ALPHA");
        assertThat(r.sanitizedText()).isEqualTo("# # and #");
        assertThat(r.attributes()).containsEntry("matches", "4");
    }

    @Test
    void should_ignore_zero_length_matches_in_block_mode() {
        RegexScanner scanner = RegexScanner.builder().pattern("x*").build();

        assertThat(scanner.scan(ScanInput.prompt("abc")).decision()).isEqualTo(Decision.PASSED);
        assertThat(scanner.scan(ScanInput.prompt("axxb")).evidence()).extracting(Evidence::start, Evidence::end)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 3));
    }

    @Test
    void should_allow_only_text_matching_an_allowed_pattern() {
        RegexScanner scanner = RegexScanner.builder().mode(Mode.ALLOW)
                .pattern("json", "(?s)^\\s*\\{.*\\}\\s*$")
                .pattern("empty", "^$")
                .build();

        ScanResult json = scanner.scan(ScanInput.output("give me json", "{\"ok\": true}"));
        assertThat(json.decision()).isEqualTo(Decision.PASSED);
        assertThat(json.label()).isEqualTo("json");
        assertThat(json.evidence()).singleElement().satisfies(e -> assertThat(e.label()).isEqualTo("json"));

        assertThat(scanner.scan(ScanInput.output("q", "")).label()).isEqualTo("empty");

        String prose = "Sure! Here is some prose 😀 instead.";
        ScanResult notAllowed = scanner.scan(ScanInput.output("give me json", prose));
        assertThat(notAllowed.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(notAllowed.label()).isEqualTo(RegexScanner.NO_ALLOWED_MATCH);
        assertThat(notAllowed.evidence()).singleElement().satisfies(e -> {
            assertThat(e.start()).isZero();
            assertThat(e.end()).isEqualTo(prose.length());
            assertThat(e.detail()).contains("2 allowed");
        });
        assertThat(notAllowed.sanitizedText()).isNull();
    }

    @Test
    void should_stop_catastrophic_backtracking_with_an_error_naming_the_pattern() {
        // The JDK memoises simple cases of (a+)+$, but it still reads a near miss quadratically
        // often: far over a budget that grows linearly with the text.
        RegexScanner scanner = RegexScanner.builder().pattern("(a+)+$").pattern("safe", "b+").build();
        String nearMiss = "a".repeat(5_000) + "!";

        ScanResult r = scanner.scan(ScanInput.prompt(nearMiss));

        assertThat(r.decision()).isEqualTo(Decision.ERROR);
        assertThat(r.error()).isInstanceOf(RegexBudgetExceededException.class);
        RegexBudgetExceededException e = (RegexBudgetExceededException) r.error();
        assertThat(e.pattern()).isEqualTo("(a+)+$");
        assertThat(e.budget()).isEqualTo(scanner.stepBudget(nearMiss.length()));
        assertThat(r.errorMessage()).contains("'(a+)+$'", "stepsPerChar").doesNotContain("aaaa");
        assertThat(r.label()).isEqualTo("(a+)+$");
        assertThat(r.attributes()).containsEntry("pattern", "(a+)+$");
    }

    @Test
    void should_stop_exponential_backtracking_on_a_short_text() {
        // Nested one level deeper, the JDK's memo no longer helps: exponential in the text length.
        RegexScanner scanner = RegexScanner.builder().pattern("nested", "((a+)+)+$").build();

        ScanResult r = scanner.scan(ScanInput.prompt("a".repeat(40) + "!"));

        assertThat(r.decision()).isEqualTo(Decision.ERROR);
        assertThat(r.error()).isInstanceOf(RegexBudgetExceededException.class);
        assertThat(((RegexBudgetExceededException) r.error()).pattern()).isEqualTo("nested");
    }

    @Test
    void should_stop_a_word_boundary_on_a_mark_flood_and_pass_it_without_one_or_after_the_normalizer() {
        // Java's \b looks back over a whole run of combining marks at every position: quadratic
        String flood = "pass" + "\u0301".repeat(20_000) + " word";
        ScanResult boundary = RegexScanner.builder().pattern("password", "(?i)\\bpass(?:word|wd)?\\s*[:=]\\s*\\S+").build()
                .scan(ScanInput.prompt(flood));
        assertThat(boundary.decision()).isEqualTo(Decision.ERROR);
        assertThat(boundary.error()).isInstanceOf(RegexBudgetExceededException.class);

        RegexScanner lookbehind = RegexScanner.builder().pattern("password", "(?i)(?<![A-Za-z0-9_])pass(?:word|wd)?\\s*[:=]\\s*\\S+").build();
        assertThat(lookbehind.scan(ScanInput.prompt(flood)).decision()).isEqualTo(Decision.PASSED);

        String normalized = TextNormalizer.builder().build().scan(ScanInput.prompt(flood)).sanitizedText();
        ScanResult afterNormalizer = RegexScanner.builder().pattern("password", "(?i)\\bpass(?:word|wd)?\\s*[:=]\\s*\\S+").build()
                .scan(ScanInput.prompt(normalized));
        assertThat(afterNormalizer.decision()).isEqualTo(Decision.PASSED);
    }

    @Test
    void should_turn_a_stack_overflow_into_an_error_naming_the_pattern() {
        RegexScanner scanner = RegexScanner.builder().pattern("alternation", "(a|b)*c").build();

        ScanResult r = scanner.scan(ScanInput.prompt("ab".repeat(200_000)));

        assertThat(r.decision()).isEqualTo(Decision.ERROR);
        assertThat(r.errorMessage()).contains("'alternation'", "stack");
    }

    @Test
    void should_give_clear_results_on_empty_megabyte_and_malformed_text() {
        RegexScanner scanner = RegexScanner.builder().pattern("\\p{Cc}").maxEvidence(3).build();

        assertThat(scanner.scan(ScanInput.prompt("")).decision()).isEqualTo(Decision.PASSED);
        ScanResult control = scanner.scan(ScanInput.prompt("a\u0000b\u0007c\u001Bd\uD800"));
        assertThat(control.evidence()).extracting(Evidence::start).containsExactly(1, 3, 5);
        assertThat(control.attributes()).containsEntry("matches", "3");

        String big = "lorem ipsum 555-123-4567 dolor ".repeat(34_000);
        ScanResult r = RegexScanner.builder().pattern(PHONE).redact(true).build().scan(ScanInput.prompt(big));
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.attributes()).containsEntry("matches", "34000").containsEntry("evidence_dropped", "33000");
        assertThat(r.sanitizedText()).doesNotContain("555-");
    }

    @Test
    void should_validate_settings_at_once_naming_them() {
        assertThatThrownBy(() -> RegexScanner.builder().pattern("bad", "(unclosed"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bad'");
        assertThatThrownBy(() -> RegexScanner.builder().pattern((String) null))
                .isInstanceOf(NullPointerException.class).hasMessage("regex");
        assertThatThrownBy(() -> RegexScanner.builder().pattern((Pattern) null))
                .isInstanceOf(NullPointerException.class).hasMessage("pattern");
        assertThatThrownBy(() -> RegexScanner.builder().patterns(java.util.Arrays.asList("a", null)))
                .isInstanceOf(NullPointerException.class).hasMessage("regexes[1]");
        assertThatThrownBy(() -> RegexScanner.builder().mode(null))
                .isInstanceOf(NullPointerException.class).hasMessage("mode");
        assertThatThrownBy(() -> RegexScanner.builder().stepsPerChar(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stepsPerChar");
        assertThatThrownBy(() -> RegexScanner.builder().minSteps(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minSteps");
        assertThatThrownBy(() -> RegexScanner.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("pattern");
        assertThatThrownBy(() -> RegexScanner.builder().pattern("x").mode(Mode.ALLOW).redact(true).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("redact");
        assertThat(RegexScanner.builder().patterns(List.of("a", "b")).build().patternNames()).containsExactly("a", "b");
    }
}
