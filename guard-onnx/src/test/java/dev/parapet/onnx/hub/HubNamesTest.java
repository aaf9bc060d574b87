package dev.parapet.onnx.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.parapet.onnx.hub.HubFixtures.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Names from the user and from the network never leave the cache directory. */
class HubNamesTest {
    @TempDir
    Path root;
    Path home;
    FakeHub hub;

    @BeforeEach
    void setUp() throws IOException {
        home = Files.createDirectories(root.resolve("home"));
        hub = new FakeHub();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.onnx", HubFixtures.randomBytes(10_000, 3));
        files.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        hub.publish("acme/model", "main", files);
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "noslash", "a/b/c", "../x", "acme/..", "a--b/c", "acme/name.git", "acme/-dash", "ac me/x", "acme/x/",
            "/acme/x", "acme\\x"})
    void should_reject_invalid_repo_ids_when_set(String repo) {
        assertThatThrownBy(() -> HubModelSource.builder().repo(repo))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repo");
    }

    @Test
    void should_accept_the_repo_ids_of_real_models() {
        for (String id : List.of("ProtectAI/unbiased-toxic-roberta-onnx", "ProtectAI/distilroberta-base-rejection-v1",
                "sentence-transformers/all-MiniLM-L6-v2", "org_1/model.v2")) {
            assertThat(HubModelSource.builder().repo(id).build().repo()).isEqualTo(id);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../config.json", "/etc/passwd", "onnx\\model.onnx", "onnx/../../model.onnx", "C:/model.onnx", "a/\u0000b", "..", "."})
    void should_reject_file_paths_that_could_escape(String path) {
        assertThatThrownBy(() -> HubModelSource.builder().modelFile(path)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("modelFile");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../main", "refs/../../x", "a\\b", "/main", "a//b", " "})
    void should_reject_revisions_that_could_escape(String revision) {
        assertThatThrownBy(() -> HubModelSource.builder().revision(revision)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("revision");
    }

    @Test
    void should_normalise_harmless_spellings_of_paths() {
        HubModelSource source = HubModelSource.builder().repo("acme/model").subfolder("onnx/").modelFile("./model.onnx")
                .tokenizerFile("sub//tokenizer.json").build();

        assertThat(source.modelFile()).isEqualTo("onnx/model.onnx");
        assertThat(source.tokenizerFile()).isEqualTo("onnx/sub/tokenizer.json");
        assertThat(source.configFile()).contains("onnx/config.json");
        assertThat(HubModelSource.builder().repo("acme/model").subfolder("").build().modelFile()).isEqualTo("model.onnx");
    }

    @Test
    void should_encode_revisions_with_slashes_as_one_url_segment_and_store_their_ref() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.onnx", HubFixtures.randomBytes(1000, 8));
        files.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        String commit = hub.publish("acme/model", "refs/pr/1", files);

        HubModelSource.builder().repo("acme/model").revision("refs/pr/1").noConfig().options(options(hub, home).build()).build().fetch();

        assertThat(hub.requests("HEAD")).extracting(FakeHub.Request::path).contains("/acme/model/resolve/refs%2Fpr%2F1/tokenizer.json");
        assertThat(home.resolve("hub/models--acme--model/refs/refs/pr/1")).hasContent(commit);
    }

    @Test
    void should_reject_a_commit_from_the_network_that_would_escape_the_cache() throws IOException {
        hub.overrideHeaders("tokenizer.json", Map.of("X-Repo-Commit", "../../../../escaped"));

        assertThatThrownBy(() -> source().fetch())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("not a 40-hex commit")
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.UNSAFE_NAME));
        assertNothingOutsideTheCache();
    }

    @Test
    void should_reject_an_etag_from_the_network_that_would_escape_the_cache() throws IOException {
        hub.overrideHeaders("model.onnx", Map.of("X-Linked-Etag", "\"../../../escaped\""));

        assertThatThrownBy(() -> source().fetch())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("neither a sha256 nor a git blob id")
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.UNSAFE_NAME));
        assertNothingOutsideTheCache();
    }

    @Test
    void should_ignore_a_refs_file_that_does_not_hold_a_commit() throws IOException {
        Path refs = Files.createDirectories(home.resolve("hub/models--acme--model/refs"));
        Files.writeString(refs.resolve("main"), "../../../../tmp");

        assertThatThrownBy(() -> sourceBuilder().offline(true).build().fetch())
                .isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.NOT_CACHED));
    }

    private HubModelSource.Builder sourceBuilder() {
        return HubModelSource.builder().repo("acme/model").noConfig().options(options(hub, home).build());
    }

    private HubModelSource source() {
        return sourceBuilder().build();
    }

    private void assertNothingOutsideTheCache() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            assertThat(all.filter(Files::isRegularFile))
                    .allSatisfy(p -> assertThat(p.startsWith(home.resolve("hub"))).as(p.toString()).isTrue());
        }
    }
}
