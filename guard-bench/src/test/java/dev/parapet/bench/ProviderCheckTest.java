package dev.parapet.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.parapet.onnx.ExecutionProvider;
import dev.parapet.onnx.RuntimeOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The GPU check's own logic, on the CPU build: two CPU runs must agree exactly, and a strict CUDA
 * request on a host without CUDA must end in a named failure, not a crash.
 */
class ProviderCheckTest {

    private static final String[] SMALL = {"--texts", "8", "--calls", "2", "--long-words", "200"};

    @Test
    void should_pass_its_gate_when_both_sides_run_on_the_cpu() {
        Run run = run(concat(SMALL, "--gpu-options", "provider=cpu", "--tolerance", "0"));
        assertThat(run.status).isZero();
        assertThat(run.out)
                .contains("toxicity: 16 texts, largest score difference 0.00e+00, decisions that differ 0 -> agree")
                .contains("refusal: 16 texts, largest score difference 0.00e+00, decisions that differ 0 -> agree")
                .contains("batch of 32, 2 calls each: CPU median")
                .contains("OK: CPU runs and agrees with the CPU within 0");
    }

    @Test
    void should_fail_with_the_reason_when_strict_cuda_is_unavailable() {
        Assumptions.assumeFalse(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA), "this host has CUDA");
        Run run = run(SMALL);
        assertThat(run.status).isEqualTo(1);
        assertThat(run.out).contains("FAIL: CUDA:0 unavailable:").contains("strictProvider");
    }

    @Test
    void should_read_providers_in_runtime_option_specs() {
        RuntimeOptions o = BenchOptions.parse("provider=cuda:1;strictProvider=true;cudaTf32=true");
        assertThat(o.provider()).isEqualTo(ExecutionProvider.cuda(1));
        assertThat(o.strictProvider()).isTrue();
        assertThat(o.cudaTf32()).isTrue();
        assertThat(BenchOptions.parse("provider=CUDA").provider()).isEqualTo(ExecutionProvider.cuda(0));
        assertThat(BenchOptions.parse("provider=cpu").provider()).isEqualTo(ExecutionProvider.cpu());
        assertThatThrownBy(() -> BenchOptions.parse("provider=gpu"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be cpu, cuda or cuda:N (N a device number), got 'gpu'");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private record Run(int status, String out) {
    }

    private static synchronized Run run(String[] args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int status = ProviderCheck.run(args);
            return new Run(status, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }
}
