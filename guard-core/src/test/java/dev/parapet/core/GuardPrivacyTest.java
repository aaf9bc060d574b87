package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class GuardPrivacyTest {
    private static final String SECRET = "SSN 123-45-6789";

    @Test
    void should_not_log_prompt_or_output_text_at_info_or_above_even_when_a_scanner_quotes_it_in_an_exception() {
        Scanner quoting = new RecordingScanner("quoting") {
            @Override
            protected ScanResult judge(ScanInput input) {
                throw new IllegalArgumentException("cannot handle: " + input.text());
            }
        };
        String logged = captureStderr(() -> {
            try (Guard guard = Guard.builder().inputScanner(quoting).outputScanner(quoting)
                    .outputScanner(new SubstringDetector("other", "x")).build()) {
                Verdict v = guard.scan(SECRET, "the answer is " + SECRET);
                assertThat(v.results()).first().extracting(ScanResult::errorMessage).asString().contains(SECRET);
            }
        });

        assertThat(logged).contains("scanner 'quoting'", "IllegalArgumentException");
        assertThat(logged).doesNotContain("123-45-6789");
    }

    private static String captureStderr(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
