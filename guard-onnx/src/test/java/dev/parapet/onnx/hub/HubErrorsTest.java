package dev.parapet.onnx.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.parapet.onnx.hub.HubFixtures.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hub's error answers become messages that say what to change. */
class HubErrorsTest {
    static final String REPO = "acme/gated-model";

    @TempDir
    Path home;
    FakeHub hub;
    String commit;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.onnx", HubFixtures.randomBytes(20_000, 1));
        files.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("config.json", "{\"id2label\": {\"0\": \"a\", \"1\": \"b\"}}".getBytes(StandardCharsets.UTF_8));
        commit = hub.publish(REPO, "main", files);
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubModelSource.Builder source() {
        return HubModelSource.builder().repo(REPO).options(options(hub, home).build());
    }

    private static HubException.Reason reason(Throwable e) {
        return ((HubException) e).reason();
    }

    @Test
    void should_ask_for_a_token_when_a_gated_repo_answers_401() {
        hub.gate(REPO, "hf_right");

        assertThatThrownBy(() -> source().build().resolve())
                .isInstanceOf(HubException.class)
                .isInstanceOf(dev.parapet.core.ModelLoadException.class)
                .hasMessageContaining("401")
                .hasMessageContaining("gated or private")
                .hasMessageContaining("HF_TOKEN")
                .satisfies(e -> assertThat(reason(e)).isEqualTo(HubException.Reason.AUTHENTICATION))
                .satisfies(e -> assertThat(((HubException) e).httpStatus()).isEqualTo(401));
    }

    @Test
    void should_say_the_token_has_no_access_on_403() {
        hub.gate(REPO, "hf_right");

        assertThatThrownBy(() -> source().token("hf_wrong").build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("403")
                .hasMessageContaining("accept its conditions on https://huggingface.co/" + REPO)
                .satisfies(e -> assertThat(reason(e)).isEqualTo(HubException.Reason.AUTHENTICATION));
    }

    @Test
    void should_send_the_token_as_a_bearer_header_to_the_hub_only() throws IOException {
        hub.gate(REPO, "hf_right");

        source().token("hf_right").build().fetch();

        assertThat(hub.requests("HEAD")).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer hf_right"));
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::authorization).contains("Bearer hf_right");
    }

    @Test
    void should_not_send_the_token_to_a_download_host_of_another_origin() throws IOException {
        try (FakeHub cdn = new FakeHub()) {
            byte[] weights = HubFixtures.randomBytes(30_000, 5);
            cdn.publish("cdn/host", "main", Map.of("model.onnx", weights));
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("model.onnx", weights);
            files.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
            hub.publish("acme/cdn-model", "main", files);
            hub.overrideHeaders("model.onnx", Map.of("Location", cdn.endpoint() + "/cdn/" + FakeHub.sha256(weights)));

            HubModelSource.builder().repo("acme/cdn-model").noConfig().options(options(hub, home).token("hf_secret").build()).build().fetch();

            assertThat(cdn.requests("GET")).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
        }
    }

    @Test
    void should_name_file_repo_and_revision_on_404() {
        assertThatThrownBy(() -> source().modelFile("onnx/model.onnx").build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("404")
                .hasMessageContaining("file 'onnx/model.onnx' does not exist in acme/gated-model at revision " + commit)
                .satisfies(e -> assertThat(reason(e)).isEqualTo(HubException.Reason.NOT_FOUND));
    }

    @Test
    void should_say_which_revision_does_not_exist() {
        assertThatThrownBy(() -> source().revision("v9").build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("revision 'v9' does not exist in acme/gated-model")
                .satisfies(e -> assertThat(reason(e)).isEqualTo(HubException.Reason.NOT_FOUND));
    }

    @Test
    void should_explain_the_hubs_401_for_an_unknown_repository() {
        assertThatThrownBy(() -> HubModelSource.builder().repo("acme/no-such-model").options(options(hub, home).build()).build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("acme/no-such-model answered 401")
                .hasMessageContaining("or does not exist");
    }

    @Test
    void should_suggest_offline_mode_when_the_hub_fails_with_5xx() {
        hub.failWith(503);

        assertThatThrownBy(() -> source().build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("503")
                .hasMessageContaining("offline mode")
                .satisfies(e -> assertThat(reason(e)).isEqualTo(HubException.Reason.UNREACHABLE));
    }

    @Test
    void should_use_the_cache_when_the_hub_fails_for_a_cached_branch() {
        source().build().fetch();
        hub.failWith(500);

        assertThat(source().build().fetch().commit()).isEqualTo(commit);
    }

    @Test
    void should_refuse_an_answer_for_another_commit_than_the_pinned_one() {
        String other = "0123456789abcdef0123456789abcdef01234567";
        // pin the published commit, but the answer names another one
        hub.overrideHeaders("config.json", Map.of("X-Repo-Commit", other));
        assertThatThrownBy(() -> source().revision(commit).build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("a pinned commit must resolve to itself")
                .satisfies(e -> assertThat(reason(e)).isEqualTo(HubException.Reason.PROTOCOL));
    }

    @Test
    void should_complain_about_an_endpoint_that_is_not_a_hub() {
        hub.overrideHeaders("config.json", Map.of("X-Repo-Commit", ""));

        assertThatThrownBy(() -> source().build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("no X-Repo-Commit header")
                .hasMessageContaining("HF_ENDPOINT");
    }

    @Test
    void should_follow_the_relative_redirect_of_a_renamed_repository() {
        hub.rename("acme/old-name", REPO);

        HubFiles fetched = HubModelSource.builder().repo("acme/old-name").options(options(hub, home).build()).build().fetch();

        assertThat(fetched.commit()).isEqualTo(commit);
        assertThat(fetched.model().toString()).contains("models--acme--old-name"); // cached under the name asked for, as Python does
    }
}
