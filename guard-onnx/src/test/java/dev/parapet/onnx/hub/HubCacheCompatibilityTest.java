package dev.parapet.onnx.hub;

import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.SequenceClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cache laid out by hand exactly as Python's huggingface_hub writes it ({@code hf_hub_download} /
 * {@code huggingface-cli download}): blobs named by ETag, relative symlinks from the snapshot, a refs
 * file without newline. It must be read back as it is, with no network.
 */
class HubCacheCompatibilityTest {
    static final String COMMIT = "65584967c3f22ff7723e5370c65e0e76791e6055";

    @TempDir
    Path home;

    /** Writes {@code models--acme--python-cached} the way huggingface_hub does, with or without symlinks. */
    private Path writePythonCache(boolean symlinks) throws IOException {
        Path repo = home.resolve("hub").resolve("models--acme--python-cached");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT).resolve("onnx"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT, StandardCharsets.UTF_8);
        for (Map.Entry<String, byte[]> f : HubTestModels.files("onnx/").entrySet()) {
            String etag = FakeHub.isLfs(f.getKey(), f.getValue()) ? FakeHub.sha256(f.getValue()) : FakeHub.gitSha1(f.getValue());
            Path pointer = repo.resolve("snapshots").resolve(COMMIT).resolve(f.getKey());
            if (symlinks) {
                Files.write(blobs.resolve(etag), f.getValue());
                Files.createSymbolicLink(pointer, Path.of("../../../blobs/" + etag)); // what os.path.relpath gives
            } else {
                Files.write(pointer, f.getValue()); // huggingface_hub moves a new blob into the snapshot when links fail
            }
        }
        assertThat(snapshot).isDirectory();
        return repo;
    }

    private HubModelSource.Builder source() throws IOException {
        return HubModelSource.builder().repo("acme/python-cached").subfolder("onnx")
                .options(HubOptions.builder(Map.of("HF_HOME", home.toString())).endpoint(HubFixtures.deadEndpoint()).build());
    }

    @Test
    void should_load_a_cache_written_by_huggingface_hub_offline_through_refs() throws IOException {
        writePythonCache(true);

        HubFiles files = source().offline(true).build().fetch();

        assertThat(files.commit()).isEqualTo(COMMIT);
        ModelSource ms = files.toModelSource();
        try (SequenceClassifier classifier = SequenceClassifier.builder(ms).build()) {
            assertThat(classifier.labels()).containsExactly("NORMAL", "REJECTION");
            assertThat(classifier.classify("I cannot help with that.").probability(1)).isGreaterThan(0.5f);
        }
    }

    @Test
    void should_load_a_cache_written_by_huggingface_hub_for_a_pinned_commit_with_the_hub_unreachable() throws IOException {
        writePythonCache(true);

        HubFiles files = source().revision(COMMIT).build().fetch(); // online, but a cached commit needs no network

        assertThat(files.model()).isEqualTo(home.resolve("hub/models--acme--python-cached/snapshots").resolve(COMMIT).resolve("onnx/model.onnx"));
    }

    @Test
    void should_read_a_cache_written_without_symlinks() throws IOException {
        writePythonCache(false);

        HubFiles files = source().offline(true).build().fetch();

        assertThat(Files.isSymbolicLink(files.model())).isFalse();
        assertThat(Files.size(files.config().orElseThrow())).isPositive();
    }

    @Test
    void should_read_a_refs_file_with_a_trailing_newline() throws IOException {
        Path repo = writePythonCache(true);
        Files.writeString(repo.resolve("refs/main"), COMMIT + "\n", StandardCharsets.UTF_8);

        assertThat(source().offline(true).build().fetch().commit()).isEqualTo(COMMIT);
    }

    @Test
    void should_share_one_session_id_between_snapshots_that_link_the_same_blob() throws IOException {
        writePythonCache(true);

        ModelSource a = source().offline(true).build().resolve();
        ModelSource b = source().revision(COMMIT).offline(true).build().resolve();

        assertThat(a.id()).isEqualTo(b.id()).contains("blobs");
    }
}
