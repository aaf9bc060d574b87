package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import dev.parapet.onnx.TokenCounter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** The rule scanners together: in a guard's sanitizer chain, and under concurrent use. */
class RuleScannersGuardTest {
    static final String AWS = "AKIAIOSFODNN7EXAMPLE";

    static TokenCounter counter;

    @BeforeAll
    static void load() {
        counter = TokenCounter.fromResource(TokenLimitScannerTest.MINILM_TOKENIZER);
    }

    @AfterAll
    static void close() {
        counter.close();
    }

    static List<Scanner> sanitizers(boolean flagWhenSanitized) {
        return List.of(
                InvisibleTextScanner.builder().flagWhenSanitized(flagWhenSanitized).build(),
                SecretsScanner.builder().flagWhenSanitized(flagWhenSanitized).build(),
                BannedSubstringsScanner.builder().substrings("project falcon").redact(true)
                        .flagWhenSanitized(flagWhenSanitized).build());
    }

    @Test
    void should_run_sanitizers_in_order_and_return_the_final_text_as_sanitized_prompt() {
        // The zero-width space hides the key from a secrets scanner and the name from a word list;
        // only stripping it first lets the later sanitizers see them.
        String prompt = "😀 Deploy PROJECT\u200B FALCON with AKIA\u200BIOSFODNN7EXAMPLE please";
        try (Guard guard = Guard.builder().inputScanners(sanitizers(true))
                .inputScanner(RegexScanner.builder().name("no-urls").pattern("https?://\\S+").build())
                .build()) {

            Verdict verdict = guard.scanPrompt(prompt);

            assertThat(verdict.sanitizedPrompt()).isEqualTo("😀 Deploy [REDACTED] with [REDACTED:aws_access_key_id] please");
            assertThat(verdict.blocked()).isTrue();
            assertThat(verdict.results()).extracting(ScanResult::scanner)
                    .containsExactly("invisible-text", "secrets", "banned-substrings", "no-urls");
            assertThat(verdict.results()).extracting(ScanResult::decision)
                    .containsExactly(Decision.FLAGGED, Decision.FLAGGED, Decision.FLAGGED, Decision.PASSED);

            // Each sanitizer's evidence points into the text it was handed, not the caller's.
            ScanResult invisible = verdict.result("invisible-text").orElseThrow();
            assertThat(invisible.evidence()).extracting(e -> e.excerpt(prompt)).containsOnly("\u200B");
            String afterStrip = invisible.sanitizedText();
            ScanResult secrets = verdict.result("secrets").orElseThrow();
            assertThat(secrets.evidence()).singleElement().satisfies(e -> assertThat(e.excerpt(afterStrip)).isEqualTo(AWS));
            ScanResult banned = verdict.result("banned-substrings").orElseThrow();
            assertThat(banned.evidence()).singleElement()
                    .satisfies(e -> assertThat(e.excerpt(secrets.sanitizedText())).isEqualTo("PROJECT FALCON"));
            assertThat(banned.sanitizedText()).isEqualTo(verdict.sanitizedPrompt());
        }
    }

    @Test
    void should_allow_the_sanitized_text_when_sanitizers_do_not_flag() {
        try (Guard guard = Guard.builder().outputScanners(sanitizers(false))
                .outputScanner(TokenLimitScanner.builder().counter(counter).maxTokens(64).build())
                .build()) {

            Verdict verdict = guard.scanOutput("q", "Your key is " + AWS + "\u2066.");

            assertThat(verdict.allowed()).isTrue();
            assertThat(verdict.sanitizedOutput()).isEqualTo("Your key is [REDACTED:aws_access_key_id].");
            assertThat(verdict.result("token-limit", Stage.OUTPUT).orElseThrow().decision()).isEqualTo(Decision.PASSED);
        }
    }

    @Test
    void should_give_identical_results_from_eight_threads() throws Exception {
        List<Scanner> scanners = List.of(
                InvisibleTextScanner.builder().build(),
                SecretsScanner.builder().build(),
                BannedSubstringsScanner.builder().substrings("falcon", "кот").matchType(BannedSubstringsScanner.MatchType.WHOLE_WORD)
                        .redact(true).build(),
                RegexScanner.builder().pattern("phone", "\\d{3}-\\d{4}").redact(true).build(),
                TokenLimitScanner.builder().counter(counter).maxTokens(12).action(TokenLimitScanner.Action.TRUNCATE).build());
        List<String> texts = List.of(
                "😀😀 password=Xk9#mQ2vL7pR4wZ and AKIA\u200BIOSFODNN7EXAMPLE call 555-1234",
                "Falcon, кот и котлета 👩‍💻\u202E tag" + new String(Character.toChars(0xE0041)),
                "",
                "plain text without anything to find in it at all, long enough to be truncated by tokens",
                "\uD83D lone \u0000 control \uDE00 " + SecretsScannerTest.JWT);

        List<String> expected = new ArrayList<>();
        for (String text : texts) {
            for (Scanner s : scanners) {
                expected.add(fingerprint(s.scan(ScanInput.prompt(text))));
            }
        }

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Callable<List<String>> task = () -> {
                    start.await();
                    List<String> last = null;
                    for (int round = 0; round < 25; round++) {
                        List<String> got = new ArrayList<>();
                        for (String text : texts) {
                            for (Scanner s : scanners) {
                                got.add(fingerprint(s.scan(ScanInput.prompt(text))));
                            }
                        }
                        if (last != null && !last.equals(got)) {
                            return got;
                        }
                        last = got;
                    }
                    return last;
                };
                futures.add(pool.submit(task));
            }
            start.countDown();
            for (Future<List<String>> f : futures) {
                assertThat(f.get()).containsExactlyElementsOf(expected);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(expected).anyMatch(s -> s.contains("FLAGGED")).anyMatch(s -> s.contains("PASSED"));
    }

    /** Everything a result says except its latency (ScanResult has no equals). */
    static String fingerprint(ScanResult r) {
        return r.scanner() + "|" + r.decision() + "|" + r.label() + "|" + r.evidence() + "|" + r.sanitizedText()
                + "|" + r.attributes() + "|" + r.errorMessage();
    }
}
