package dev.parapet.onnx.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The environment variables huggingface_hub reads, read the same way. */
class HubOptionsTest {
    @TempDir
    Path dir;

    @Test
    void should_prefer_HF_HUB_CACHE_then_HF_HOME_then_XDG_CACHE_HOME() {
        assertThat(HubOptions.builder(Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/h", "XDG_CACHE_HOME", "/x")).build().cacheDirectory())
                .isEqualTo(Path.of("/c/hub"));
        assertThat(HubOptions.builder(Map.of("HUGGINGFACE_HUB_CACHE", "/legacy", "HF_HOME", "/h")).build().cacheDirectory())
                .isEqualTo(Path.of("/legacy"));
        assertThat(HubOptions.builder(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x")).build().cacheDirectory()).isEqualTo(Path.of("/h/hub"));
        assertThat(HubOptions.builder(Map.of("XDG_CACHE_HOME", "/x")).build().cacheDirectory()).isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(HubOptions.builder(Map.of("XDG_CACHE_HOME", dir.toString())).build().cacheDirectory().toString())
                .endsWith("huggingface/hub");
    }

    @Test
    void should_default_to_the_public_hub_online_with_ten_seconds() {
        HubOptions o = HubOptions.builder(Map.of("HF_HOME", dir.toString())).build();

        assertThat(o.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(o.offline()).isFalse();
        assertThat(o.token()).isEmpty();
        assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void should_read_HF_HUB_OFFLINE_like_huggingface_hub() {
        for (String yes : new String[]{"1", "true", "YES", "on"}) {
            assertThat(HubOptions.builder(Map.of("HF_HOME", dir.toString(), "HF_HUB_OFFLINE", yes)).build().offline()).as(yes).isTrue();
        }
        for (String no : new String[]{"0", "false", "no", ""}) {
            assertThat(HubOptions.builder(Map.of("HF_HOME", dir.toString(), "HF_HUB_OFFLINE", no)).build().offline()).as(no).isFalse();
        }
    }

    @Test
    void should_take_the_token_from_HF_TOKEN_or_the_login_file() throws IOException {
        assertThat(HubOptions.builder(Map.of("HF_HOME", dir.toString(), "HF_TOKEN", "hf_env")).build().token()).contains("hf_env");
        Files.writeString(dir.resolve("token"), "hf_file\n");
        assertThat(HubOptions.builder(Map.of("HF_HOME", dir.toString())).build().token()).contains("hf_file");
        assertThat(HubOptions.builder(Map.of("HF_HOME", dir.toString())).token(null).build().token()).isEmpty();
    }

    @Test
    void should_take_the_endpoint_from_HF_ENDPOINT_without_trailing_slash() {
        assertThat(HubOptions.builder(Map.of("HF_HOME", dir.toString(), "HF_ENDPOINT", "https://mirror.example/hf/")).build().endpoint())
                .isEqualTo(URI.create("https://mirror.example/hf"));
        assertThatThrownBy(() -> HubOptions.builder(Map.of("HF_ENDPOINT", "ftp://x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HF_ENDPOINT");
    }

    @Test
    void should_let_explicit_settings_win_and_validate_them() {
        HubOptions o = HubOptions.builder(Map.of("HF_HOME", dir.toString(), "HF_HUB_OFFLINE", "1")).offline(false)
                .cacheDirectory(dir.resolve("c")).build();

        assertThat(o.offline()).isFalse();
        assertThat(o.cacheDirectory()).isEqualTo(dir.resolve("c"));
        assertThatThrownBy(() -> HubOptions.builder(Map.of()).timeout(Duration.ZERO)).hasMessageContaining("timeout");
        assertThatThrownBy(() -> HubOptions.builder(Map.of()).token("has space")).hasMessageContaining("token");
        assertThatThrownBy(() -> HubOptions.builder(Map.of()).endpoint(URI.create("https://x/?q=1"))).hasMessageContaining("endpoint");
    }

    @Test
    void should_never_print_the_token() {
        HubOptions o = HubOptions.builder(Map.of("HF_HOME", dir.toString())).token("hf_secret").build();

        assertThat(o.toString()).doesNotContain("hf_secret").contains("token=***");
        assertThat(HubModelSource.builder().repo("a/b").options(o).build().toString()).doesNotContain("hf_secret");
    }

    @Test
    void should_apply_single_settings_on_top_of_given_options() {
        HubOptions base = HubOptions.builder(Map.of("HF_HOME", dir.toString())).token("hf_a").build();

        HubModelSource s = HubModelSource.builder().repo("a/b").options(base).offline(true).build();

        assertThat(s.options().offline()).isTrue();
        assertThat(s.options().token()).contains("hf_a");
        assertThat(base.offline()).isFalse();
    }
}
