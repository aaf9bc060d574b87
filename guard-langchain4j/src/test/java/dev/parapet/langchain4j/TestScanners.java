package dev.parapet.langchain4j;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small rule scanners for the wiring tests; the model scanners live in other modules. */
final class TestScanners {

    private TestScanners() {
    }

    /** Flags a text containing one of a few insults, with the match as evidence. */
    static final class KeywordToxicity implements Scanner {
        private static final Pattern INSULT = Pattern.compile("\\b(idiot|moron|stupid)\\b", Pattern.CASE_INSENSITIVE);

        @Override
        public String name() {
            return "toxicity";
        }

        @Override
        public ScanResult scan(ScanInput input) {
            Matcher m = INSULT.matcher(input.text());
            if (!m.find()) {
                return ScanResult.builder(name(), input.stage()).label("toxic").build();
            }
            return ScanResult.builder(name(), input.stage()).decision(Decision.FLAGGED).label("toxic")
                    .evidence(new Evidence(m.start(), m.end(), "toxic", Double.NaN, "insult")).build();
        }
    }

    /** Flags an output that opens a refusal the way chat models do. */
    static final class RefusalDetector implements Scanner {
        @Override
        public String name() {
            return "refusal";
        }

        @Override
        public ScanResult scan(ScanInput input) {
            int at = input.text().toLowerCase(Locale.ROOT).replace('\u2019', '\'').indexOf("i'm sorry, but i can't");
            ScanResult.Builder b = ScanResult.builder(name(), input.stage()).label("refusal");
            return at < 0 ? b.build() : b.decision(Decision.FLAGGED).evidence(Evidence.span(at, at + 22)).build();
        }
    }

    /** Replaces e-mail addresses: a sanitizer. */
    static final class EmailRedactor implements Scanner {
        private static final Pattern EMAIL = Pattern.compile("[\\w.+-]+@[\\w-]+\\.[\\w.]+");

        @Override
        public String name() {
            return "email-redactor";
        }

        @Override
        public boolean isSanitizer() {
            return true;
        }

        @Override
        public ScanResult scan(ScanInput input) {
            String text = input.text();
            String redacted = EMAIL.matcher(text).replaceAll("[EMAIL]");
            return ScanResult.builder(name(), input.stage()).sanitizedText(redacted.equals(text) ? null : redacted).build();
        }
    }

    /** Passes everything and remembers the prompt each output scan got as context. */
    static final class PromptRecorder implements Scanner {
        final List<String> prompts = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "prompt-recorder";
        }

        @Override
        public ScanResult scan(ScanInput input) {
            prompts.add(input.prompt());
            return ScanResult.builder(name(), input.stage()).build();
        }
    }
}
