package dev.parapet.scanners;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.core.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class VerdictJsonTest {

    @Test
    void should_round_trip_a_result_with_the_documented_fields() {
        ScanResult r = ScanResult.builder("toxicity", Stage.OUTPUT).decision(Decision.FLAGGED).score(0.93).threshold(0.5)
                .label("toxic").latency(Duration.ofNanos(2_900_000)).evidence(new Evidence(3, 45, "toxic", 0.93, "window 1 of 2"))
                .attribute("provider", "CPU").attribute("windows", "2").build();
        String json = VerdictJson.toJson(r);
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        assertThat(o.keySet()).contains("scanner", "stage", "decision", "score", "threshold", "label", "risk_score",
                "latency_ms", "provider", "evidence", "error", "modified", "attributes");
        assertThat(o.get("stage").getAsString()).isEqualTo("output");
        assertThat(o.get("decision").getAsString()).isEqualTo("flagged");
        assertThat(o.get("provider").getAsString()).isEqualTo("CPU");
        assertThat(o.get("latency_ms").getAsDouble()).isEqualTo(2.9);
        ScanResult back = VerdictJson.resultFromJson(json);
        assertThat(back.evidence()).containsExactlyElementsOf(r.evidence());
        assertThat(back.score()).isEqualTo(0.93);
        assertThat(back.attributes()).isEqualTo(r.attributes());
        assertThat(back.latency()).isEqualTo(r.latency());
    }

    @Test
    void should_write_null_for_numbers_that_do_not_apply_and_keep_text_out_unless_asked() {
        Scanner rule = new Scanner() {
            @Override
            public String name() {
                return "rule";
            }

            @Override
            public ScanResult scan(ScanInput input) {
                return ScanResult.builder(name(), input.stage()).decision(Decision.FLAGGED).label("secret").build();
            }
        };
        try (Guard guard = Guard.builder().inputScanner(rule).build()) {
            Verdict v = guard.scanPrompt("my password is hunter2");
            String quiet = VerdictJson.toJson(v);
            assertThat(quiet).doesNotContain("hunter2");
            JsonObject o = JsonParser.parseString(quiet).getAsJsonObject();
            assertThat(o.get("schema").getAsString()).isEqualTo(VerdictJson.SCHEMA);
            assertThat(o.get("allowed").getAsBoolean()).isFalse();
            JsonObject result = o.getAsJsonArray("results").get(0).getAsJsonObject();
            assertThat(result.get("score").isJsonNull()).isTrue();
            assertThat(result.get("threshold").isJsonNull()).isTrue();
            assertThat(VerdictJson.toJson(v, true)).contains("hunter2");
        }
    }
}
