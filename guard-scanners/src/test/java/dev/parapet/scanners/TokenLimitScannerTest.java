package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.ModelLoadException;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.onnx.TokenCounter;
import dev.parapet.scanners.TokenLimitScanner.Action;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Token limits counted by the real MiniLM tokenizer (from LangChain4j's jar on Maven Central). */
class TokenLimitScannerTest {
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";
    // MiniLM tokens: [UNK] (both emoji), password, =, hunter, ##2, unbelievable
    static final String TEXT = "😀😀 password=hunter2 unbelievable";

    static TokenCounter counter;

    @BeforeAll
    static void load() {
        counter = TokenCounter.fromResource(MINILM_TOKENIZER);
    }

    @AfterAll
    static void close() {
        counter.close();
    }

    static TokenLimitScanner scanner(int maxTokens, Action action) {
        return TokenLimitScanner.builder().counter(counter).maxTokens(maxTokens).action(action).build();
    }

    @Test
    void should_pass_text_within_the_limit() {
        ScanResult r = scanner(6, Action.BLOCK).scan(ScanInput.prompt(TEXT));

        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.attributes()).containsEntry("tokens", "6").containsEntry("max_tokens", "6");
        assertThat(r.evidence()).isEmpty();
        assertThat(r.sanitizedText()).isNull();
        assertThat(r.score()).isNaN();
    }

    @Test
    void should_block_text_over_the_limit_with_evidence_from_the_first_token_past_it() {
        TokenLimitScanner scanner = scanner(4, Action.BLOCK);

        ScanResult r = scanner.scan(ScanInput.prompt(TEXT));

        assertThat(scanner.isSanitizer()).isFalse();
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.label()).isEqualTo(TokenLimitScanner.LABEL);
        assertThat(r.score()).isNaN();
        assertThat(r.threshold()).isNaN();
        assertThat(r.sanitizedText()).isNull();
        assertThat(r.attributes()).containsEntry("tokens", "6").containsEntry("max_tokens", "4");
        assertThat(r.evidence()).singleElement().satisfies(e -> {
            assertThat(e.start()).isEqualTo(20); // "2" of hunter2: after two surrogate pairs, in UTF-16
            assertThat(e.excerpt(TEXT)).isEqualTo("2 unbelievable");
            assertThat(e.label()).isEqualTo("token_limit");
            assertThat(e.detail()).contains("5 to 6 of 6");
        });
    }

    @Test
    void should_truncate_at_the_last_token_boundary_within_the_limit() {
        TokenLimitScanner scanner = scanner(3, Action.TRUNCATE);

        ScanResult r = scanner.scan(ScanInput.prompt(TEXT));

        assertThat(scanner.isSanitizer()).isTrue();
        assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(r.sanitizedText()).isEqualTo("😀😀 password=");
        assertThat(counter.count(r.sanitizedText())).isEqualTo(3);
        assertThat(r.attributes()).containsEntry("tokens", "6").containsEntry("tokens_kept", "3")
                .containsEntry("tokens_removed", "3");
        assertThat(r.evidence()).singleElement().satisfies(e -> assertThat(e.excerpt(TEXT)).isEqualTo("hunter2 unbelievable"));
    }

    @Test
    void should_keep_whole_surrogate_pairs_when_the_cut_follows_an_emoji() {
        String text = "😀😀 and 𝄞";
        ScanResult r = TokenLimitScanner.builder().counter(counter).maxTokens(1).action(Action.TRUNCATE)
                .flagWhenSanitized(false).build().scan(ScanInput.output("q", text));

        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.sanitizedText()).isEqualTo("😀😀");
        assertThat(r.attributes()).containsEntry("tokens_removed", String.valueOf(counter.count(text) - 1));
    }

    @Test
    void should_truncate_a_megabyte_text_and_handle_empty_and_malformed_text() {
        String big = "word ".repeat(250_000);
        ScanResult r = scanner(1_000, Action.TRUNCATE).scan(ScanInput.prompt(big));
        assertThat(r.attributes()).containsEntry("tokens", "250000").containsEntry("tokens_removed", "249000");
        assertThat(r.sanitizedText()).isEqualTo(big.substring(0, 5 * 1_000 - 1));

        ScanResult empty = scanner(1, Action.BLOCK).scan(ScanInput.prompt(""));
        assertThat(empty.decision()).isEqualTo(Decision.PASSED);
        assertThat(empty.attributes()).containsEntry("tokens", "0");

        String odd = "ab\uD83D cd\u0000ef \uDE00gh";
        ScanResult broken = scanner(1, Action.TRUNCATE).scan(ScanInput.prompt(odd));
        assertThat(broken.decision()).isEqualTo(Decision.FLAGGED);
        assertThat(broken.sanitizedText()).isEqualTo("ab");
    }

    @Test
    void should_close_its_own_tokenizer_but_not_a_shared_one() {
        TokenLimitScanner owning = TokenLimitScanner.builder().tokenizerResource(MINILM_TOKENIZER).maxTokens(10).build();
        assertThat(owning.scan(ScanInput.prompt("hello")).decision()).isEqualTo(Decision.PASSED);
        owning.close();
        owning.close();
        ScanResult afterClose = owning.scan(ScanInput.prompt("hello"));
        assertThat(afterClose.decision()).isEqualTo(Decision.ERROR);
        assertThat(afterClose.error()).isInstanceOf(IllegalStateException.class);

        scanner(10, Action.BLOCK).close();
        assertThat(counter.count("still open")).isEqualTo(2);
    }

    @Test
    void should_validate_settings_at_once_naming_them() {
        assertThatThrownBy(() -> TokenLimitScanner.builder().maxTokens(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> TokenLimitScanner.builder().action(null))
                .isInstanceOf(NullPointerException.class).hasMessage("action");
        assertThatThrownBy(() -> TokenLimitScanner.builder().counter(null))
                .isInstanceOf(NullPointerException.class).hasMessage("counter");
        assertThatThrownBy(() -> TokenLimitScanner.builder().tokenizer((Path) null))
                .isInstanceOf(NullPointerException.class).hasMessage("tokenizerJson");
        assertThatThrownBy(() -> TokenLimitScanner.builder().counter(counter).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> TokenLimitScanner.builder().maxTokens(5).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("tokenizer");
        assertThatThrownBy(() -> TokenLimitScanner.builder().tokenizer(Path.of("no", "tokenizer.json")).maxTokens(5).build())
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("tokenizer.json");
    }
}
