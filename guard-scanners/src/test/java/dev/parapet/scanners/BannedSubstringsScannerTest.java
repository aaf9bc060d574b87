package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Stage;
import dev.parapet.scanners.BannedSubstringsScanner.MatchType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BannedSubstringsScannerTest {

    @Test
    void should_redact_banned_word_with_correct_offsets_after_emoji() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder().substrings("password").redact(true).build();
        String text = "😀😀 password=hunter2 and 𝄞 PASSWORD again";

        ScanResult r = scanner.scan(ScanInput.prompt(text));

        assertThat(scanner.isSanitizer()).isTrue();
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.score()).isNaN();
        assertThat(r.threshold()).isNaN();
        assertThat(r.label()).isEqualTo("password");
        assertThat(r.evidence()).extracting(Evidence::start, Evidence::end)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(5, 13), org.assertj.core.groups.Tuple.tuple(29, 37));
        assertThat(r.evidence()).extracting(e -> e.excerpt(text)).containsExactly("password", "PASSWORD");
        assertThat(r.evidence()).allSatisfy(e -> {
            assertThat(e.label()).isEqualTo("password");
            assertThat(e.score()).isNaN();
        });
        assertThat(r.sanitizedText()).isEqualTo("😀😀 [REDACTED]=hunter2 and 𝄞 [REDACTED] again");
        assertThat(r.attributes()).containsEntry("matches", "2");
    }

    @Test
    void should_pass_and_leave_text_alone_when_nothing_matches() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder().substrings("falcon").redact(true).build();

        ScanResult r = scanner.scan(ScanInput.prompt("A perfectly ordinary question."));

        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.sanitizedText()).isNull();
        assertThat(r.evidence()).isEmpty();
        assertThat(r.label()).isNull();
        assertThat(r.score()).isNaN();
    }

    @Test
    void should_match_inside_words_in_substring_mode_but_not_in_whole_word_mode() {
        String text = "The class passed; the ass did not.";
        BannedSubstringsScanner substring = BannedSubstringsScanner.builder().substrings("ass").build();
        BannedSubstringsScanner word = BannedSubstringsScanner.builder().substrings("ass").matchType(MatchType.WHOLE_WORD).build();

        assertThat(substring.scan(ScanInput.prompt(text)).evidence()).extracting(e -> e.start())
                .containsExactly(6, 11, 22);
        ScanResult whole = word.scan(ScanInput.prompt(text));
        assertThat(whole.evidence()).hasSize(1);
        assertThat(whole.evidence().get(0).start()).isEqualTo(22);
    }

    @Test
    void should_find_whole_words_by_unicode_letters_not_ascii_word_boundaries() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder()
                .substrings("кот", "straße", "cafe", "c++").matchType(MatchType.WHOLE_WORD).build();

        assertThat(scanner.scan(ScanInput.prompt("котлета и Straßenbahn")).decision()).isEqualTo(Decision.PASSED);
        // A combining accent continues the word: "cafe\u0301" is "café", not "cafe".
        assertThat(scanner.scan(ScanInput.prompt("un cafe\u0301 noir")).decision()).isEqualTo(Decision.PASSED);
        String text = "Мой кот, die Straße; café? cafe! c++17";
        ScanResult r = scanner.scan(ScanInput.prompt(text));
        assertThat(r.evidence()).extracting(e -> e.excerpt(text)).containsExactly("кот", "Straße", "cafe", "c++");
        assertThat(r.evidence()).extracting(Evidence::label).containsExactly("кот", "straße", "cafe", "c++");
    }

    @Test
    void should_fold_case_independently_of_the_default_locale() {
        Locale saved = Locale.getDefault();
        try {
            // In Turkish, "TITLE".toLowerCase() is "tıtle" with a dotless i: a naive fold misses it.
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            BannedSubstringsScanner scanner = BannedSubstringsScanner.builder().substrings("title", "İstanbul").build();
            String text = "TITLE: ISTANBUL, istanbul and İSTANBUL";

            ScanResult r = scanner.scan(ScanInput.prompt(text));

            assertThat(r.evidence()).extracting(e -> e.excerpt(text)).containsExactly("TITLE", "ISTANBUL", "istanbul", "İSTANBUL");
            assertThat(r.evidence()).extracting(Evidence::label).containsExactly("title", "İstanbul", "İstanbul", "İstanbul");
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void should_respect_case_when_case_sensitive() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder().substrings("Falcon").caseSensitive(true).build();

        assertThat(scanner.scan(ScanInput.prompt("falcon FALCON")).decision()).isEqualTo(Decision.PASSED);
        assertThat(scanner.scan(ScanInput.prompt("Project Falcon")).evidence()).extracting(Evidence::start).containsExactly(8);
    }

    @Test
    void should_prefer_the_longest_entry_at_a_position_and_use_a_custom_token() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder()
                .substrings("pass", "password", "Password") // the last folds onto the second and is dropped
                .redact(true).redactionToken("***").build();

        ScanResult r = scanner.scan(ScanInput.output("q", "my password, my pass"));

        assertThat(scanner.substrings()).containsExactly("pass", "password");
        assertThat(r.stage()).isEqualTo(Stage.OUTPUT);
        assertThat(r.evidence()).extracting(Evidence::label).containsExactly("password", "pass");
        assertThat(r.sanitizedText()).isEqualTo("my ***, my ***");
    }

    @Test
    void should_let_redacted_text_through_when_flagging_sanitized_text_is_off() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder().substrings("secret")
                .redact(true).flagWhenSanitized(false).build();

        ScanResult r = scanner.scan(ScanInput.prompt("a secret plan"));

        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.sanitizedText()).isEqualTo("a [REDACTED] plan");
        assertThat(r.evidence()).hasSize(1);
    }

    @Test
    void should_give_clear_results_on_empty_megabyte_and_malformed_text() {
        BannedSubstringsScanner scanner = BannedSubstringsScanner.builder().substrings("needle").redact(true).maxEvidence(10).build();

        assertThat(scanner.scan(ScanInput.prompt("")).decision()).isEqualTo(Decision.PASSED);

        String big = "hay needle ".repeat(100_000);
        ScanResult r = scanner.scan(ScanInput.prompt(big));
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.evidence()).hasSize(10);
        assertThat(r.attributes()).containsEntry("matches", "100000").containsEntry("evidence_dropped", "99990");
        assertThat(r.sanitizedText()).hasSize(big.length() + 100_000 * ("[REDACTED]".length() - "needle".length()));

        String odd = "\uD83D needle\u0000\u0007 \uDE00";
        ScanResult broken = scanner.scan(ScanInput.prompt(odd));
        assertThat(broken.evidence()).extracting(e -> e.excerpt(odd)).containsExactly("needle");
        assertThat(broken.sanitizedText()).isEqualTo("\uD83D [REDACTED]\u0000\u0007 \uDE00");
    }

    @Test
    void should_validate_settings_at_once_naming_them() {
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().substrings((String[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("substrings");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().substrings("ok", null))
                .isInstanceOf(NullPointerException.class).hasMessage("substrings[1]");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().substrings("ok", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("substrings[1]");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().substrings(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("substrings");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().substrings("a\uD800"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lone surrogate");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().redactionToken(null))
                .isInstanceOf(NullPointerException.class).hasMessage("redactionToken");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().matchType(null))
                .isInstanceOf(NullPointerException.class).hasMessage("matchType");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().name(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().maxEvidence(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEvidence");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("substrings");
        assertThatThrownBy(() -> BannedSubstringsScanner.builder().substrings("x").build().scan(null))
                .isInstanceOf(NullPointerException.class).hasMessage("input");
    }
}
