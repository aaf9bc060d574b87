package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.ScanTimeoutException;
import dev.parapet.core.Verdict;
import dev.parapet.demo.DemoModels;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.RuntimeOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A real ONNX model stopped at the scanner's deadline (RunOptions terminate), reported as an ERROR. */
class ModelTimeoutTest {

    @Test
    void should_stop_a_long_model_scan_at_the_deadline_and_report_an_error() {
        String longText = "The library opens at nine and closes at six on weekdays. ".repeat(3000);
        ModelSource model = ModelSource.directory(DemoModels.toxicity());
        try (Guard guard = Guard.builder()
                .inputScanner(ToxicityScanner.builder(model).maxLength(128)
                        .options(RuntimeOptions.builder().intraOpThreads(1).maxBatchSize(64).maxBatchTokens(8192).build()).build())
                .scannerTimeout(Duration.ofMillis(30))
                .build()) {
            Verdict v = guard.scanPrompt(longText);
            ScanResult r = v.results().get(0);
            assertThat(r.decision()).isEqualTo(Decision.ERROR);
            assertThat(r.error()).isInstanceOf(ScanTimeoutException.class);
            assertThat(v.blocked()).isTrue();
            // the scanner still works for texts within budget
            assertThat(guard.scanPrompt("hi").results().get(0).decision()).isIn(Decision.PASSED, Decision.FLAGGED, Decision.ERROR);
        }
    }
}
