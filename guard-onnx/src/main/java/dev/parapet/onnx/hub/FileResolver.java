package dev.parapet.onnx.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Finds one file in the cache or fetches it into the cache, the way {@code hf_hub_download} does:
 * a commit revision already cached needs no network; otherwise a HEAD names the commit and the
 * content hash, the blob is downloaded (resumed, verified, moved into place atomically) unless it
 * is already there, and the snapshot entry is linked to it. When the hub cannot be reached, or
 * answers with an error, a copy cached earlier for the same revision is used. One per {@code fetch()}:
 * not shared between threads (the locks it takes are).
 */
final class FileResolver {
    private static final Logger log = LoggerFactory.getLogger(FileResolver.class);
    /** Attempts per file: a broken connection is resumed twice before giving up. */
    static final int ATTEMPTS = 3;
    /** File locks are per process; threads of this JVM queue on these first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** A file in the cache, and the commit it belongs to. */
    record Resolved(Path file, String commit) {
    }

    private final HubOptions options;
    private final HubCache cache;
    private HubHttp http; // made on first need: a cache hit opens no client at all

    FileResolver(HubOptions options) {
        this.options = options;
        this.cache = new HubCache(options.cacheDirectory());
    }

    private HubHttp http() {
        if (http == null) {
            http = new HubHttp(options);
        }
        return http;
    }

    HubCache cache() {
        return cache;
    }

    Resolved resolve(FileRef f) {
        if (RepoPaths.isCommit(f.revision())) {
            Optional<Path> hit = cache.cached(f.repo(), f.revision(), f.path());
            if (hit.isPresent()) {
                return new Resolved(hit.get(), f.revision());
            }
        }
        if (options.offline()) {
            return fromCache(f).orElseThrow(() -> notCached(f));
        }
        HubHttp.Remote remote;
        try {
            remote = http().head(f);
        } catch (IOException e) {
            Optional<Resolved> cached = fromCache(f);
            if (cached.isPresent()) {
                log.warn("cannot reach {} ({}); using the cached copy of {}", options.endpoint(), describe(e), f);
                return cached.get();
            }
            throw unreachable(f, e);
        } catch (HubException e) {
            Optional<Resolved> cached = Thread.currentThread().isInterrupted() ? Optional.empty() : fromCache(f);
            if (cached.isPresent()) {
                log.warn("the hub did not confirm {} ({}); using the cached copy", f, e.getMessage());
                return cached.get();
            }
            throw e;
        }
        if (RepoPaths.isCommit(f.revision()) && !remote.commit().equals(f.revision())) {
            throw new HubException(HubException.Reason.PROTOCOL, "asked for " + f + " but the hub answered for commit " + remote.commit()
                    + "; a pinned commit must resolve to itself");
        }
        cache.writeRef(f.repo(), f.revision(), remote.commit());
        FileRef pinned = f.at(remote.commit());
        Optional<Path> hit = cache.cached(f.repo(), remote.commit(), f.path());
        if (hit.isPresent()) {
            return new Resolved(hit.get(), remote.commit());
        }
        return new Resolved(fetch(pinned, remote), remote.commit());
    }

    private Optional<Resolved> fromCache(FileRef f) {
        return cache.commitOf(f.repo(), f.revision())
                .flatMap(commit -> cache.cached(f.repo(), commit, f.path()).map(p -> new Resolved(p, commit)));
    }

    /** Downloads the blob unless present, verifies it, links the snapshot entry; one process and thread at a time per blob. */
    private Path fetch(FileRef f, HubHttp.Remote remote) {
        Path lockFile = cache.lockFile(f.repo(), remote.etag());
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
        jvmLock.lock();
        try {
            FileChannel channel;
            FileLock lock;
            try {
                Files.createDirectories(lockFile.getParent());
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                lock = channel.lock();
            } catch (IOException e) {
                throw new HubException(HubException.Reason.CACHE_IO, "cannot lock " + lockFile + " to download " + f
                        + ": " + e.getMessage() + "; is the cache directory writable?", e);
            }
            try (channel; lock) {
                return fetchLocked(f, remote);
            } catch (IOException e) {
                throw new HubException(HubException.Reason.CACHE_IO, "cannot store " + f + " in the cache " + cache.root() + ": " + describe(e), e);
            }
        } finally {
            jvmLock.unlock();
        }
    }

    private Path fetchLocked(FileRef f, HubHttp.Remote remote) throws IOException {
        Optional<Path> hit = cache.cached(f.repo(), remote.commit(), f.path());
        if (hit.isPresent()) {
            return hit.get(); // another thread or process finished it while we waited
        }
        Path blob = cache.blob(f.repo(), remote.etag());
        if (Files.isRegularFile(blob)) {
            String actual = ContentHash.of(blob, remote.etag());
            if (actual.equals(remote.etag())) {
                return cache.link(f.repo(), remote.commit(), f.path(), remote.etag());
            }
            log.warn("cached blob {} does not match its {} (got {}); downloading it again", blob, ContentHash.kind(remote.etag()), actual);
            Files.delete(blob);
        }
        Files.createDirectories(blob.getParent());
        Path partial = cache.incomplete(f.repo(), remote.etag());
        for (int attempt = 1; ; attempt++) {
            long before = Files.exists(partial) ? Files.size(partial) : 0;
            if (before > 0) {
                log.info("resuming {} at byte {}{}", f, before, remote.size() >= 0 ? " of " + remote.size() : "");
            } else {
                log.info("downloading {} ({}) from {}", f, remote.size() >= 0 ? remote.size() + " bytes" : "size unknown", remote.location().getHost());
            }
            try {
                http().download(f, remote, partial);
            } catch (IOException e) {
                long got = Files.exists(partial) ? Files.size(partial) : 0;
                if (attempt < ATTEMPTS) {
                    log.warn("download of {} broke off after {} bytes ({}); resuming", f, got, describe(e));
                    continue;
                }
                throw new HubException(HubException.Reason.UNREACHABLE, "the download of " + f + " from " + options.endpoint() + " broke off after "
                        + got + (remote.size() >= 0 ? " of " + remote.size() : "") + " bytes, " + ATTEMPTS + " times (" + describe(e) + "). "
                        + "The part received is kept in " + partial + " and the next resolve() resumes it.", e);
            }
            long got = Files.size(partial);
            if (remote.size() >= 0 && got < remote.size()) {
                if (attempt < ATTEMPTS) {
                    log.warn("download of {} ended early at {} of {} bytes; resuming", f, got, remote.size());
                    continue;
                }
                throw new HubException(HubException.Reason.UNREACHABLE, "the download of " + f + " ended early at " + got + " of " + remote.size()
                        + " bytes, " + ATTEMPTS + " times. The part received is kept in " + partial + " and the next resolve() resumes it.");
            }
            String actual = remote.size() >= 0 && got != remote.size() ? null : ContentHash.of(partial, remote.etag());
            if (actual != null && actual.equals(remote.etag())) {
                cache.publish(partial, blob);
                log.debug("stored {} in {}", f, blob);
                return cache.link(f.repo(), remote.commit(), f.path(), remote.etag());
            }
            Files.deleteIfExists(partial);
            if (before > 0 && attempt < ATTEMPTS) {
                // The part kept from an earlier attempt may be what was wrong: once more from the start.
                log.warn("resumed download of {} does not match the hub's {}; starting over", f, ContentHash.kind(remote.etag()));
                continue;
            }
            String detail = actual == null
                    ? "got " + got + " bytes where the hub announced " + remote.size()
                    : "expected " + ContentHash.kind(remote.etag()) + " " + remote.etag() + ", got " + actual + " (" + got + " bytes)";
            throw new HubException(HubException.Reason.INTEGRITY, "the download of " + f + " is corrupt: " + detail
                    + ". It was discarded and nothing was cached; a proxy or mirror may be altering the file. Try again, or check "
                    + remote.location().getHost() + ".");
        }
    }

    private HubException notCached(FileRef f) {
        Optional<String> commit = cache.commitOf(f.repo(), f.revision());
        String where = commit.map(c -> "expected " + cache.pointer(f.repo(), c, f.path()))
                .orElse("no " + cache.repoDir(f.repo()).resolve("refs").resolve(f.revision()) + " records which commit '" + f.revision() + "' is");
        return new HubException(HubException.Reason.NOT_CACHED, "offline mode is on (HF_HUB_OFFLINE or offline(true)) and " + f
                + " is not in the cache " + cache.root() + " (" + where + "). Download it once where the hub is reachable, with this loader or "
                + "`huggingface-cli download " + f.repo().id() + " " + f.path() + " --revision " + f.revision()
                + "` into the same cache (HF_HOME / HF_HUB_CACHE), or turn offline mode off.");
    }

    private HubException unreachable(FileRef f, IOException e) {
        return new HubException(HubException.Reason.UNREACHABLE, "cannot reach " + options.endpoint() + " to fetch " + f + " (" + describe(e)
                + ") and the cache " + cache.root() + " has no copy of it. On a machine without network, fill the cache where the hub is "
                + "reachable (`huggingface-cli download " + f.repo().id() + " " + f.path() + " --revision " + f.revision() + "` or this loader) "
                + "and turn on offline mode (HF_HUB_OFFLINE=1 or offline(true)) so no connection is tried; behind a proxy or mirror, set HF_ENDPOINT.", e);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
