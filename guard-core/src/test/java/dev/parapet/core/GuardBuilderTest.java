package dev.parapet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class GuardBuilderTest {

    @Test
    void should_use_documented_defaults() {
        try (Guard guard = Guard.builder().build()) {
            assertThat(guard.failurePolicy()).isEqualTo(FailurePolicy.FAIL_CLOSED);
            assertThat(guard.limits()).isEqualTo(InputLimits.defaults());
            assertThat(guard.inputScanners()).isEmpty();
            assertThat(guard.outputScanners()).isEmpty();
            assertThat(guard.isClosed()).isFalse();
        }
    }

    @Test
    void should_keep_scanners_in_declared_order_appending_lists() {
        Scanner a = new SubstringDetector("a", "x");
        Scanner b = new SubstringDetector("b", "x");
        Scanner c = new SubstringDetector("c", "x");
        Scanner d = new SubstringDetector("d", "x");
        try (Guard guard = Guard.builder().inputScanner(a).inputScanners(List.of(b, c)).outputScanners(List.of(d))
                .build()) {
            assertThat(guard.inputScanners()).containsExactly(a, b, c);
            assertThat(guard.outputScanners()).containsExactly(d);
            assertThatThrownBy(() -> guard.inputScanners().add(d)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void should_not_let_later_builder_changes_reach_a_built_guard() {
        Guard.Builder builder = Guard.builder().inputScanner(new SubstringDetector("a", "x"));
        try (Guard guard = builder.build()) {
            builder.inputScanner(new SubstringDetector("b", "x")).failurePolicy(FailurePolicy.FAIL_OPEN);

            assertThat(guard.inputScanners()).hasSize(1);
            assertThat(guard.failurePolicy()).isEqualTo(FailurePolicy.FAIL_CLOSED);
        }
    }

    @Test
    void should_throw_npe_naming_the_setting_for_null_values() {
        Guard.Builder b = Guard.builder();

        assertThatThrownBy(() -> b.inputScanner(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("inputScanner");
        assertThatThrownBy(() -> b.outputScanner(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("outputScanner");
        assertThatThrownBy(() -> b.inputScanners(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("inputScanners");
        assertThatThrownBy(() -> b.outputScanners(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("outputScanners");
        assertThatThrownBy(() -> b.limits(null)).isInstanceOf(NullPointerException.class).hasMessage("limits");
        assertThatThrownBy(() -> b.failurePolicy(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("failurePolicy");
        assertThatThrownBy(() -> b.executor(null)).isInstanceOf(NullPointerException.class).hasMessage("executor");
    }

    @Test
    void should_name_the_position_of_a_null_scanner_in_a_list_and_add_none_of_it() {
        Guard.Builder b = Guard.builder();
        List<Scanner> withNull = Arrays.asList(new SubstringDetector("a", "x"), null);

        assertThatThrownBy(() -> b.outputScanners(withNull)).isInstanceOf(NullPointerException.class)
                .hasMessage("outputScanners[1]");
        try (Guard guard = b.build()) {
            assertThat(guard.outputScanners()).isEmpty();
        }
    }

    @Test
    void should_reject_a_scanner_without_a_name_naming_the_setting() {
        Scanner blank = new SubstringDetector(" ", "x");
        Scanner unnamed = new SubstringDetector(null, "x");

        assertThatThrownBy(() -> Guard.builder().inputScanner(blank)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inputScanner:").hasMessageContaining("blank name()");
        assertThatThrownBy(() -> Guard.builder().outputScanners(List.of(unnamed)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outputScanners[0]").hasMessageContaining("null name()");
    }

    @Test
    void should_make_its_own_executor_only_when_parallel_detectors_need_one() {
        Scanner a = new SubstringDetector("a", "x");
        Scanner b = new SubstringDetector("b", "x");
        try (Guard one = Guard.builder().inputScanner(a).build();
             Guard two = Guard.builder().inputScanners(List.of(a, b)).build();
             Guard sequential = Guard.builder().inputScanners(List.of(a, b)).parallel(false).build();
             Guard userPool = Guard.builder().inputScanners(List.of(a, b)).executor(Runnable::run).build()) {
            assertThat(one.ownExecutor()).isNull();
            assertThat(two.ownExecutor()).isNotNull();
            assertThat(sequential.ownExecutor()).isNull();
            assertThat(userPool.ownExecutor()).isNull();
        }
    }

    @Test
    void should_describe_its_configuration_in_to_string() {
        try (Guard guard = Guard.builder().inputScanner(new SubstringDetector("banned", "x"))
                .failurePolicy(FailurePolicy.FAIL_OPEN).failFast(true).build()) {
            assertThat(guard.toString()).contains("input=[banned]", "FAIL_OPEN", "failFast=true", "maxPromptChars");
        }
    }
}
