package dev.parapet.onnx;

import dev.parapet.core.ModelLoadException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CUDA requests on a host without CUDA (or with the CPU build of ONNX Runtime) fall back to CPU,
 * or fail when strict. On a GPU host with {@code -Pgpu} the same tests check the CUDA path instead.
 */
class ExecutionProviderTest {

    static boolean cudaUsable() {
        try {
            return ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)
                    && new java.io.File("/dev/nvidia0").exists();
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void should_fall_back_to_cpu_when_cuda_is_unavailable() {
        Assumptions.assumeFalse(cudaUsable(), "this host has CUDA; the fallback path is not reachable here");
        RuntimeOptions options = RuntimeOptions.builder().provider(ExecutionProvider.cuda(0)).build();
        try (TextEncoder encoder = TextEncoder.builder(Encoders.minilm()).options(options).build()) {
            assertThat(encoder.provider()).isEqualTo(ExecutionProvider.cpu());
            assertThat(encoder.embed("still works on the CPU")).hasSize(384);
        }
    }

    @Test
    void should_fail_at_build_when_cuda_is_strict_and_unavailable() {
        Assumptions.assumeFalse(cudaUsable(), "this host has CUDA; the strict failure is not reachable here");
        RuntimeOptions options = RuntimeOptions.builder().provider(ExecutionProvider.cuda(0)).strictProvider(true).build();
        assertThatThrownBy(() -> TextEncoder.builder(Encoders.minilm()).options(options).build())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("CUDA")
                .hasMessageContaining("strictProvider");
    }

    @Test
    void should_run_on_cuda_when_available() {
        Assumptions.assumeTrue(cudaUsable(), "no CUDA on this host (CPU build or no device)");
        RuntimeOptions options = RuntimeOptions.builder().provider(ExecutionProvider.cuda(0)).strictProvider(true).build();
        try (TextEncoder encoder = TextEncoder.builder(Encoders.minilm()).options(options).build()) {
            assertThat(encoder.provider()).isEqualTo(ExecutionProvider.cuda(0));
            assertThat(encoder.embed("on the GPU")).hasSize(384);
        }
    }

    @Test
    void should_keep_tf32_off_unless_asked_and_not_share_sessions_across_that_choice() {
        RuntimeOptions fp32 = RuntimeOptions.builder().provider(ExecutionProvider.cuda(0)).build();
        RuntimeOptions tf32 = fp32.toBuilder().cudaTf32(true).build();
        assertThat(fp32.cudaTf32()).isFalse();
        assertThat(tf32.cudaTf32()).isTrue();
        assertThat(tf32.toBuilder().build().cudaTf32()).isTrue();
        assertThat(tf32.sessionKey()).isNotEqualTo(fp32.sessionKey());
        assertThat(tf32.toString()).contains("cudaTf32=true");
        // on the CPU the setting means nothing, so it must not split sessions there
        RuntimeOptions cpu = RuntimeOptions.builder().build();
        assertThat(cpu.toBuilder().cudaTf32(true).build().sessionKey()).isEqualTo(cpu.sessionKey());
    }

    @Test
    void should_parse_the_spellings_of_files_and_command_lines_and_reject_the_rest() {
        assertThat(ExecutionProvider.parse("cpu")).isEqualTo(ExecutionProvider.cpu());
        assertThat(ExecutionProvider.parse(" CUDA ")).isEqualTo(ExecutionProvider.cuda(0));
        assertThat(ExecutionProvider.parse("cuda:3")).isEqualTo(ExecutionProvider.cuda(3));
        assertThat(ExecutionProvider.parse(ExecutionProvider.cuda(2).toString())).isEqualTo(ExecutionProvider.cuda(2));
        for (String bad : new String[]{"gpu", "", "cuda:", "cuda:-1", "cuda:x", "cuda:99999999999", "cuda 0"}) {
            assertThatThrownBy(() -> ExecutionProvider.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cpu, cuda or cuda:N");
        }
        assertThatThrownBy(() -> ExecutionProvider.parse(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void should_validate_settings_naming_them() {
        assertThatThrownBy(() -> RuntimeOptions.builder().intraOpThreads(0)).hasMessageContaining("intraOpThreads");
        assertThatThrownBy(() -> RuntimeOptions.builder().maxBatchSize(0)).hasMessageContaining("maxBatchSize");
        assertThatThrownBy(() -> RuntimeOptions.builder().maxBatchTokens(1)).hasMessageContaining("maxBatchTokens");
        assertThatThrownBy(() -> ExecutionProvider.cuda(-1)).hasMessageContaining("device");
    }
}
