package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ScanResultTest {

    private static ScanResult scored(double score, double threshold) {
        return ScanResult.builder("toxicity", Stage.OUTPUT).score(score).threshold(threshold).build();
    }

    @Test
    void should_scale_risk_score_above_the_threshold_to_zero_one() {
        assertThat(scored(0.9, 0.5).riskScore()).isCloseTo(0.8, within(1e-12));
        assertThat(scored(1.0, 0.5).riskScore()).isCloseTo(1.0, within(1e-12));
        assertThat(scored(0.5, 0.5).riskScore()).isZero();
        assertThat(scored(0.85, 0.7).riskScore()).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void should_scale_risk_score_below_the_threshold_to_minus_one_zero() {
        assertThat(scored(0.25, 0.5).riskScore()).isCloseTo(-0.5, within(1e-12));
        assertThat(scored(0.0, 0.5).riskScore()).isCloseTo(-1.0, within(1e-12));
        assertThat(scored(0.1, 0.4).riskScore()).isCloseTo(-0.75, within(1e-12));
    }

    @Test
    void should_not_divide_by_zero_at_threshold_edges() {
        assertThat(scored(1.0, 1.0).riskScore()).isZero();
        assertThat(scored(0.0, 0.0).riskScore()).isZero();
        assertThat(scored(0.3, 1.0).riskScore()).isCloseTo(-0.7, within(1e-12));
        assertThat(scored(0.3, 0.0).riskScore()).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void should_have_no_risk_score_without_score_or_threshold() {
        assertThat(ScanResult.builder("regex", Stage.PROMPT).build().riskScore()).isNaN();
        assertThat(ScanResult.builder("regex", Stage.PROMPT).score(0.4).build().riskScore()).isNaN();
        assertThat(ScanResult.builder("regex", Stage.PROMPT).threshold(0.4).build().riskScore()).isNaN();
    }

    @Test
    void should_name_the_error_type_when_the_error_has_no_message() {
        ScanResult r = ScanResult.error("x", Stage.PROMPT, new NullPointerException(), Duration.ofMillis(1));

        assertThat(r.decision()).isEqualTo(Decision.ERROR);
        assertThat(r.errorMessage()).isEqualTo("java.lang.NullPointerException");
        assertThat(r.latency()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void should_keep_everything_but_latency_in_with_latency() {
        ScanResult r = ScanResult.builder("x", Stage.OUTPUT).decision(Decision.FLAGGED).score(0.7).threshold(0.5)
                .label("toxic").evidence(Evidence.span(1, 3)).attribute("provider", "CPU").build();

        ScanResult stamped = r.withLatency(Duration.ofMillis(5));

        assertThat(stamped.latency()).isEqualTo(Duration.ofMillis(5));
        assertThat(stamped.toString()).isEqualTo(r.toString());
        assertThat(stamped.attributes()).isEqualTo(r.attributes());
        assertThat(stamped.evidence()).isEqualTo(r.evidence());
    }
}
