package dev.parapet.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamingScanTest {

    /** Flags a word; counts how many characters it was shown, to prove each sentence is scanned once. */
    static final class WordDetector implements Scanner {
        final String word;
        final AtomicInteger charsSeen = new AtomicInteger();

        WordDetector(String word) {
            this.word = word;
        }

        @Override
        public String name() {
            return "word";
        }

        @Override
        public ScanResult scan(ScanInput input) {
            String text = input.text();
            charsSeen.addAndGet(text.length());
            int at = text.toLowerCase(Locale.ROOT).indexOf(word);
            ScanResult.Builder r = ScanResult.builder(name(), input.stage()).label(word);
            if (at >= 0) {
                r.decision(Decision.FLAGGED).evidence(new Evidence(at, at + word.length(), word, Double.NaN, null));
            }
            return r.build();
        }
    }

    static List<String> chunks(String text, int size) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < text.length(); i += size) {
            out.add(text.substring(i, Math.min(text.length(), i + size)));
        }
        return out;
    }

    @Test
    void should_give_the_same_decision_and_offsets_as_scanning_the_whole_output() {
        String output = "Sure, here is the plan. 😀 First we gather data. Then you idiot fail. Finally we ship.";
        WordDetector detector = new WordDetector("idiot");
        try (Guard guard = Guard.builder().outputScanner(detector).build()) {
            Verdict whole = guard.scanOutput("plan?", output);
            StreamingScan stream = guard.streamOutput("plan?");
            StringBuilder released = new StringBuilder();
            boolean stopped = false;
            for (String delta : chunks(output, 3)) {
                StreamingScan.Update u = stream.append(delta);
                released.append(u.released());
                if (u.blocked()) {
                    stopped = true;
                    break;
                }
            }
            assertThat(stopped).isTrue();
            assertThat(whole.blocked()).isTrue();
            Verdict streamed = stream.verdict();
            assertThat(streamed.blocked()).isTrue();
            Evidence e = streamed.firstBlocking().orElseThrow().evidence().get(0);
            assertThat(output.substring(e.start(), e.end())).isEqualTo("idiot");
            assertThat(e).isEqualTo(whole.firstBlocking().orElseThrow().evidence().get(0));
            assertThat(released.toString()).isEqualTo("Sure, here is the plan. 😀 First we gather data. ");
            assertThat(stream.append("more text. ").blocked()).isTrue();
        }
    }

    @Test
    void should_scan_each_sentence_once_so_work_is_linear() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            sb.append("This is sentence number ").append(i).append(" of a long answer. ");
        }
        String output = sb.toString();
        WordDetector detector = new WordDetector("idiot");
        try (Guard guard = Guard.builder().outputScanner(detector).build()) {
            StreamingScan stream = guard.streamOutput("p");
            for (String delta : chunks(output, 7)) {
                assertThat(stream.append(delta).blocked()).isFalse();
            }
            StreamingScan.Update last = stream.finish();
            assertThat(last.blocked()).isFalse();
            assertThat(detector.charsSeen.get()).isLessThanOrEqualTo(output.length());
            assertThat(stream.verdict().allowed()).isTrue();
            assertThat(stream.verdict().sanitizedOutput()).isEqualTo(output);
            assertThatThrownBy(stream::finish).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void should_bound_pending_text_without_sentence_boundaries() {
        WordDetector detector = new WordDetector("zzz");
        try (Guard guard = Guard.builder().outputScanner(detector).build()) {
            StreamingScan stream = guard.streamOutput("p");
            String blob = "word ".repeat(5_000);
            StringBuilder released = new StringBuilder();
            for (String delta : chunks(blob, 100)) {
                released.append(stream.append(delta).released());
            }
            released.append(stream.finish().released());
            assertThat(released.toString()).isEqualTo(blob);
            assertThat(detector.charsSeen.get()).isEqualTo(blob.length());
        }
    }

    @Test
    void should_run_scans_on_the_callers_executor() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "caller-pool"));
        List<String> threads = new ArrayList<>();
        Scanner recorder = new Scanner() {
            @Override
            public String name() {
                return "recorder";
            }

            @Override
            public ScanResult scan(ScanInput input) {
                synchronized (threads) {
                    threads.add(Thread.currentThread().getName());
                }
                return ScanResult.builder(name(), input.stage()).build();
            }
        };
        try (Guard guard = Guard.builder().inputScanner(recorder).outputScanner(new WordDetector("idiot")).build()) {
            assertThat(guard.scanPromptAsync("hi", pool).get(1, TimeUnit.MINUTES).allowed()).isTrue();
            assertThat(guard.scanAsync("hi", "you idiot", pool).get(1, TimeUnit.MINUTES).blocked()).isTrue();
            assertThat(guard.scanOutputAsync("hi", "fine", pool).get(1, TimeUnit.MINUTES).allowed()).isTrue();
            assertThat(threads).containsOnly("caller-pool");
            guard.close();
            assertThat(guard.scanPromptAsync("hi", pool)).failsWithin(1, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }
    }
}
