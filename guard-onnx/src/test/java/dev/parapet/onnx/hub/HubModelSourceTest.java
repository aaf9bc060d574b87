package dev.parapet.onnx.hub;

import dev.parapet.onnx.Classification;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.SequenceClassifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.parapet.onnx.hub.HubFixtures.REPO;
import static dev.parapet.onnx.hub.HubFixtures.cacheOf;
import static dev.parapet.onnx.hub.HubFixtures.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** First download, the cache layout it leaves, and cache hits with and without the network. */
class HubModelSourceTest {
    @TempDir
    Path home;
    FakeHub hub;
    String commit;
    Map<String, byte[]> files;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        files = HubTestModels.files("onnx/");
        commit = hub.publish(REPO, "main", files);
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubModelSource.Builder source() {
        return HubModelSource.builder().repo(REPO).subfolder("onnx").options(options(hub, home).build());
    }

    @Test
    void should_download_on_first_resolve_and_run_the_classifier() {
        ModelSource source = source().build().resolve();

        try (SequenceClassifier classifier = SequenceClassifier.builder(source).build()) {
            Classification c = classifier.classify("I'm sorry, but I can't help with that.");
            assertThat(classifier.labels()).containsExactly("NORMAL", "REJECTION");
            assertThat((double) c.probability(1)).isCloseTo(0.881, org.assertj.core.api.Assertions.within(0.01));
        }
        assertThat(source.modelName()).contains("snapshots", commit, "model.onnx");
        // one HEAD and one GET per file; the LFS model's GET goes through the CDN redirect
        assertThat(hub.requests("HEAD")).hasSize(3);
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::path).anyMatch(p -> p.startsWith("/cdn/"));
    }

    @Test
    void should_write_the_cache_the_way_huggingface_hub_does() throws IOException {
        HubFiles fetched = source().build().fetch();

        Path repoDir = cacheOf(home).resolve("models--acme--refusal-onnx");
        assertThat(fetched.commit()).isEqualTo(commit);
        assertThat(Files.readString(repoDir.resolve("refs").resolve("main"), StandardCharsets.UTF_8)).isEqualTo(commit); // no newline
        String modelSha = FakeHub.sha256(files.get("onnx/model.onnx"));
        String configSha1 = FakeHub.gitSha1(files.get("onnx/config.json"));
        assertThat(repoDir.resolve("blobs").resolve(modelSha)).isRegularFile();
        assertThat(repoDir.resolve("blobs").resolve(configSha1)).isRegularFile();
        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        assertThat(Files.isSymbolicLink(snapshot.resolve("onnx/model.onnx"))).isTrue();
        assertThat(Files.readSymbolicLink(snapshot.resolve("onnx/model.onnx")).toString()).isEqualTo("../../../blobs/" + modelSha);
        assertThat(Files.readSymbolicLink(snapshot.resolve("onnx/config.json")).toString()).isEqualTo("../../../blobs/" + configSha1);
        assertThat(fetched.model()).isEqualTo(snapshot.resolve("onnx/model.onnx"));
        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(files.get("onnx/model.onnx"));
        try (var blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete"));
        }
    }

    @Test
    void should_put_root_files_two_levels_below_the_blobs() throws IOException {
        String rootCommit = hub.publish("acme/plain", "main", HubTestModels.files(""));
        HubFiles fetched = HubModelSource.builder().repo("acme/plain").options(options(hub, home).build()).build().fetch();

        Path snapshot = cacheOf(home).resolve("models--acme--plain/snapshots").resolve(rootCommit);
        assertThat(Files.readSymbolicLink(snapshot.resolve("tokenizer.json")).toString()).startsWith("../../blobs/");
        assertThat(fetched.tokenizer()).isEqualTo(snapshot.resolve("tokenizer.json"));
    }

    @Test
    void should_not_touch_the_network_when_a_pinned_commit_is_cached() throws IOException {
        source().revision(commit).build().fetch();
        hub.clearRequests();

        // the endpoint now points nowhere: a pinned, cached commit must not need it
        HubFiles again = source().revision(commit).endpoint(HubFixtures.deadEndpoint()).build().fetch();

        assertThat(again.commit()).isEqualTo(commit);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void should_ask_for_the_remaining_files_at_the_commit_the_first_answer_named() {
        source().build().fetch();

        assertThat(hub.requests("HEAD")).extracting(FakeHub.Request::path).containsExactly(
                "/acme/refusal-onnx/resolve/main/onnx/config.json",
                "/acme/refusal-onnx/resolve/" + commit + "/onnx/tokenizer.json",
                "/acme/refusal-onnx/resolve/" + commit + "/onnx/model.onnx");
    }

    @Test
    void should_check_a_branch_again_but_download_nothing_new_when_it_has_not_moved() {
        source().build().fetch();
        hub.clearRequests();

        source().build().fetch();

        assertThat(hub.requests("HEAD")).hasSize(1); // config at main; the rest are cached at the pinned commit
        assertThat(hub.requests("GET")).isEmpty();
    }

    @Test
    void should_follow_a_branch_to_its_new_commit() {
        source().build().fetch();
        Map<String, byte[]> changed = new java.util.LinkedHashMap<>(files);
        changed.put("onnx/config.json", (new String(files.get("onnx/config.json"), StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8));
        String next = hub.publish(REPO, "main", changed);
        hub.clearRequests();

        HubFiles fetched = source().build().fetch();

        assertThat(fetched.commit()).isEqualTo(next);
        // only the changed file is downloaded; the unchanged blobs are linked into the new snapshot
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::path).containsExactly("/acme/refusal-onnx/resolve/" + next + "/onnx/config.json");
        assertThat(fetched.model()).isRegularFile();
    }

    @Test
    void should_resolve_a_branch_offline_through_refs_without_any_request() {
        source().build().fetch();
        hub.clearRequests();

        HubFiles offline = source().offline(true).build().fetch();

        assertThat(offline.commit()).isEqualTo(commit);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void should_fail_offline_naming_the_missing_file_when_the_cache_is_empty() {
        HubModelSource source = source().offline(true).build();

        assertThatThrownBy(source::resolve)
                .isInstanceOf(HubException.class)
                .hasMessageContaining("offline mode is on")
                .hasMessageContaining("'onnx/config.json' in acme/refusal-onnx at revision main")
                .hasMessageContaining("huggingface-cli download acme/refusal-onnx onnx/config.json --revision main")
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.NOT_CACHED));
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void should_fail_offline_naming_the_one_file_missing_from_a_partial_cache() throws IOException {
        source().revision(commit).build().fetch();
        Files.delete(cacheOf(home).resolve("models--acme--refusal-onnx/snapshots").resolve(commit).resolve("onnx/model.onnx"));

        assertThatThrownBy(() -> source().revision(commit).offline(true).build().resolve())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("'onnx/model.onnx'")
                .hasMessageContaining("snapshots/" + commit + "/onnx/model.onnx");
    }

    @Test
    void should_use_the_cached_copy_when_the_hub_is_unreachable() throws IOException {
        source().build().fetch();

        HubFiles fetched = source().endpoint(HubFixtures.deadEndpoint()).build().fetch();

        assertThat(fetched.commit()).isEqualTo(commit);
    }

    @Test
    void should_say_that_offline_mode_exists_when_the_hub_is_unreachable_and_nothing_is_cached() throws IOException {
        HubModelSource source = source().endpoint(HubFixtures.deadEndpoint()).build();

        assertThatThrownBy(source::resolve)
                .isInstanceOf(HubException.class)
                .hasMessageContaining("cannot reach http://127.0.0.1:")
                .hasMessageContaining("'onnx/config.json' in acme/refusal-onnx at revision main")
                .hasMessageContaining("HF_HUB_OFFLINE=1")
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.UNREACHABLE));
    }

    @Test
    void should_take_the_tokenizer_from_another_repository() {
        Map<String, byte[]> noTokenizer = new java.util.LinkedHashMap<>(files);
        noTokenizer.remove("onnx/tokenizer.json");
        hub.publish("acme/weights-only", "main", noTokenizer);

        HubFiles fetched = HubModelSource.builder().repo("acme/weights-only").subfolder("onnx")
                .tokenizerFrom(REPO, commit, "onnx/tokenizer.json")
                .options(options(hub, home).build()).build().fetch();

        assertThat(fetched.tokenizerCommit()).isEqualTo(commit);
        assertThat(fetched.tokenizer().toString()).contains("models--acme--refusal-onnx");
        assertThat(fetched.model().toString()).contains("models--acme--weights-only");
    }

    @Test
    void should_fetch_extra_files_into_the_same_snapshot() {
        Map<String, byte[]> withData = new java.util.LinkedHashMap<>(files);
        withData.put("onnx/model.onnx_data", HubFixtures.randomBytes(5000, 7));
        String c = hub.publish(REPO, "v2", withData);

        HubFiles fetched = source().revision("v2").extraFiles("model.onnx_data").build().fetch();

        assertThat(fetched.extraFiles()).singleElement().satisfies(p -> {
            assertThat(p.getFileName().toString()).isEqualTo("model.onnx_data");
            assertThat(p.getParent()).isEqualTo(fetched.model().getParent());
        });
        assertThat(cacheOf(home).resolve("models--acme--refusal-onnx/refs/v2")).hasContent(c);
    }

    @Test
    void should_fetch_no_config_when_told_so() {
        HubFiles fetched = source().noConfig().build().fetch();

        assertThat(fetched.config()).isEmpty();
        assertThat(hub.requests("HEAD")).extracting(FakeHub.Request::path).noneMatch(p -> p.endsWith("config.json"));
    }
}
