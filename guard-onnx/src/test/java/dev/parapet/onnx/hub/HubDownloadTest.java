package dev.parapet.onnx.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static dev.parapet.onnx.hub.HubFixtures.cacheOf;
import static dev.parapet.onnx.hub.HubFixtures.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What can go wrong on the wire: corrupt bytes, broken and stalled connections, servers that do not resume. */
class HubDownloadTest {
    static final String REPO = "acme/big-model";
    static final int SIZE = 600_000;

    @TempDir
    Path home;
    FakeHub hub;
    byte[] model;
    String sha;
    String commit;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        model = HubFixtures.randomBytes(SIZE, 42);
        sha = FakeHub.sha256(model);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.onnx", model);
        files.put("tokenizer.json", "{\"version\": \"1.0\"}".getBytes(StandardCharsets.UTF_8));
        commit = hub.publish(REPO, "main", files);
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubModelSource source(Duration timeout) {
        return HubModelSource.builder().repo(REPO).noConfig().options(options(hub, home).timeout(timeout).build()).build();
    }

    private HubModelSource source() {
        return source(Duration.ofSeconds(5));
    }

    private Path blobs() {
        return cacheOf(home).resolve("models--acme--big-model/blobs");
    }

    @Test
    void should_detect_a_corrupted_download_and_cache_nothing() throws IOException {
        hub.corruptDownloads(true);

        assertThatThrownBy(() -> source().fetch())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("the download of 'model.onnx' in acme/big-model at revision " + commit + " is corrupt")
                .hasMessageContaining("expected sha256 " + sha)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.INTEGRITY));
        assertThat(blobs().resolve(sha)).doesNotExist();
        assertThat(blobs().resolve(sha + ".incomplete")).doesNotExist();
        assertThat(cacheOf(home).resolve("models--acme--big-model/snapshots").resolve(commit).resolve("model.onnx")).doesNotExist();
    }

    @Test
    void should_detect_a_corrupted_plain_file_by_its_git_blob_id() {
        hub.overrideHeaders("tokenizer.json", Map.of("ETag", "\"" + FakeHub.gitSha1("something else".getBytes(StandardCharsets.UTF_8)) + "\""));

        assertThatThrownBy(() -> source().fetch())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("'tokenizer.json'")
                .hasMessageContaining("expected git blob sha1");
    }

    @Test
    void should_resume_a_broken_download_with_a_range_request() throws IOException {
        hub.breakDownloads(1, 200_000);

        HubFiles fetched = source().fetch();

        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(model);
        // the server cut the body after 200,000 bytes; how many of them arrived before the close
        // depends on the socket (a reset can drop buffered bytes), so the resume offset is a range
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::range).anySatisfy(range -> {
            assertThat(range).isNotNull().startsWith("bytes=").endsWith("-");
            long from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
            assertThat(from).isBetween(1L, 200_000L);
        });
    }

    @Test
    void should_resume_what_an_earlier_process_left_in_the_incomplete_file() throws IOException {
        Files.createDirectories(blobs());
        Files.write(blobs().resolve(sha + ".incomplete"), Arrays.copyOf(model, 123_456));

        HubFiles fetched = source().fetch();

        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(model);
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::range).containsOnlyOnce("bytes=123456-");
        assertThat(blobs().resolve(sha + ".incomplete")).doesNotExist();
    }

    @Test
    void should_keep_the_partial_file_when_every_attempt_breaks_and_resume_it_next_time() throws IOException {
        hub.breakDownloads(FileResolver.ATTEMPTS, 100_000);

        assertThatThrownBy(() -> source().fetch())
                .isInstanceOf(HubException.class)
                .hasMessageContaining("broke off")
                .hasMessageContaining("next resolve() resumes it")
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(HubException.Reason.UNREACHABLE));
        long kept = Files.size(blobs().resolve(sha + ".incomplete"));
        assertThat(kept).isBetween(1L, 3 * 100_000L); // each attempt added what it received
        hub.clearRequests();

        HubFiles fetched = source().fetch();

        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(model);
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::range).contains("bytes=" + kept + "-");
    }

    @Test
    void should_start_over_when_the_kept_part_was_corrupt() throws IOException {
        Files.createDirectories(blobs());
        byte[] wrongPrefix = HubFixtures.randomBytes(50_000, 99);
        Files.write(blobs().resolve(sha + ".incomplete"), wrongPrefix);

        HubFiles fetched = source().fetch();

        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(model);
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::range).containsSubsequence("bytes=50000-", null);
    }

    @Test
    void should_start_over_when_the_server_ignores_range() throws IOException {
        Files.createDirectories(blobs());
        Files.write(blobs().resolve(sha + ".incomplete"), Arrays.copyOf(model, 10_000));
        hub.ignoreRange(true);

        HubFiles fetched = source().fetch();

        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(model);
    }

    @Test
    void should_give_up_on_a_stalled_download_after_the_timeout() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        hub.stallDownloads(50_000, release);
        long start = System.nanoTime();
        try {
            assertThatThrownBy(() -> source(HubFixtures.shortTimeout()).fetch())
                    .isInstanceOf(HubException.class)
                    .hasMessageContaining("stalled")
                    .hasMessageContaining("nothing arrived for 700 ms");
        } finally {
            release.countDown();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(Files.size(blobs().resolve(sha + ".incomplete"))).isGreaterThanOrEqualTo(50_000L);
    }

    @Test
    void should_reuse_a_blob_another_revision_already_downloaded() {
        source().fetch();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("model.onnx", model);
        files.put("tokenizer.json", "{\"version\": \"2.0\"}".getBytes(StandardCharsets.UTF_8));
        String next = hub.publish(REPO, "main", files);
        hub.clearRequests();

        HubFiles fetched = source().fetch();

        assertThat(fetched.commit()).isEqualTo(next);
        assertThat(hub.requests("GET")).extracting(FakeHub.Request::path).noneMatch(p -> p.startsWith("/cdn/"));
    }

    @Test
    void should_replace_a_cached_blob_that_was_damaged_on_disk() throws IOException {
        HubFiles first = source().fetch();
        Path blob = blobs().resolve(sha);
        byte[] damaged = model.clone();
        damaged[10] ^= 1;
        Files.write(blob, damaged);
        Files.delete(first.model()); // the snapshot entry is gone, the damaged blob stays

        HubFiles fetched = source().fetch();

        assertThat(Files.readAllBytes(fetched.model())).isEqualTo(model);
    }

    @Test
    void should_download_once_when_threads_resolve_the_same_model_together() throws Exception {
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<HubFiles>> results = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return source().fetch();
                }));
            }
            start.countDown();
            for (java.util.concurrent.Future<HubFiles> f : results) {
                assertThat(Files.readAllBytes(f.get(30, java.util.concurrent.TimeUnit.SECONDS).model())).isEqualTo(model);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(hub.requests("GET")).filteredOn(r -> r.path().startsWith("/cdn/")).hasSize(1);
    }
}
