package dev.parapet.onnx.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;

/**
 * The huggingface_hub cache layout, read and written the way Python writes it:
 * <pre>
 * {root}/models--{org}--{name}/
 *     blobs/{etag}                       file contents, named by git-sha1 or sha256
 *     blobs/{etag}.incomplete            a download in progress (resumed with an HTTP Range request)
 *     refs/{branch or tag}               the commit the name pointed to when last asked
 *     snapshots/{commit}/{path}          relative symlink to ../../blobs/{etag} (a copy where links fail)
 * {root}/.locks/models--{org}--{name}/{etag}.lock
 * </pre>
 */
final class HubCache {
    private static final Logger log = LoggerFactory.getLogger(HubCache.class);

    private final Path root;

    HubCache(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path repoDir(RepoId repo) {
        return root.resolve(repo.folderName());
    }

    Path blob(RepoId repo, String etag) {
        requireEtag(etag);
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    Path incomplete(RepoId repo, String etag) {
        requireEtag(etag);
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    Path lockFile(RepoId repo, String etag) {
        requireEtag(etag);
        return root.resolve(".locks").resolve(repo.folderName()).resolve(etag + ".lock");
    }

    Path snapshot(RepoId repo, String commit) {
        requireCommit(commit);
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /** Where {@code path} of {@code commit} lives in the cache (whether or not it is there). */
    Path pointer(RepoId repo, String commit, String path) {
        return RepoPaths.inside(snapshot(repo, commit), path);
    }

    /** The cached file, when the snapshot has it (a link to an existing blob, or a plain file). */
    Optional<Path> cached(RepoId repo, String commit, String path) {
        Path p = pointer(repo, commit, path);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** The commit a revision names: itself when it is a commit, else what {@code refs/} recorded. */
    Optional<String> commitOf(RepoId repo, String revision) {
        if (RepoPaths.isCommit(revision)) {
            return Optional.of(revision);
        }
        Path ref = RepoPaths.inside(repoDir(repo).resolve("refs"), revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            if (!RepoPaths.isCommit(commit)) {
                log.warn("ignoring {}: it holds '{}', not a 40-hex commit", ref, commit.length() > 80 ? commit.substring(0, 80) + "..." : commit);
                return Optional.empty();
            }
            return Optional.of(commit);
        } catch (IOException e) {
            throw new HubException(HubException.Reason.CACHE_IO, "cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    /** Records that a branch or tag pointed to {@code commit}; nothing for a commit revision. */
    void writeRef(RepoId repo, String revision, String commit) {
        requireCommit(commit);
        if (revision.equals(commit)) {
            return;
        }
        Path ref = RepoPaths.inside(repoDir(repo).resolve("refs"), revision);
        try {
            if (Files.isRegularFile(ref) && commit.equals(Files.readString(ref, StandardCharsets.UTF_8).strip())) {
                return; // unchanged: do not touch a cache that may be read-only
            }
            Files.createDirectories(ref.getParent());
            Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8); // no newline, as huggingface_hub writes it
            move(tmp, ref);
        } catch (IOException e) {
            throw new HubException(HubException.Reason.CACHE_IO, "cannot record " + revision + " -> " + commit + " in " + ref + ": " + e.getMessage(), e);
        }
    }

    /**
     * Points {@code snapshots/{commit}/{path}} at the blob: a relative symlink as huggingface_hub
     * makes, or a copy where the file system refuses links. Replaces what was there atomically.
     */
    Path link(RepoId repo, String commit, String path, String etag) {
        Path blob = blob(repo, etag);
        Path pointer = pointer(repo, commit, path);
        try {
            Files.createDirectories(pointer.getParent());
            Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Path target = pointer.getParent().toAbsolutePath().normalize().relativize(blob.toAbsolutePath().normalize());
            try {
                Files.createSymbolicLink(tmp, target);
            } catch (UnsupportedOperationException | FileSystemException e) {
                log.debug("symlinks unavailable in {} ({}); copying {} instead", pointer.getParent(), e.getMessage(), blob);
                Files.deleteIfExists(tmp);
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            move(tmp, pointer);
            return pointer;
        } catch (IOException e) {
            throw new HubException(HubException.Reason.CACHE_IO, "cannot link " + pointer + " to " + blob + ": " + e.getMessage(), e);
        }
    }

    /** Moves a finished download into place, atomically where the file system can. */
    void publish(Path source, Path target) {
        try {
            move(source, target);
        } catch (IOException e) {
            throw new HubException(HubException.Reason.CACHE_IO, "cannot move " + source + " to " + target + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void requireEtag(String etag) {
        if (etag == null || !RepoPaths.isEtag(etag)) {
            throw new HubException(HubException.Reason.UNSAFE_NAME, "'" + etag + "' is not a git-sha1 or sha256 ETag; refusing to use it as a blob name");
        }
    }

    private static void requireCommit(String commit) {
        if (commit == null || !RepoPaths.isCommit(commit)) {
            throw new HubException(HubException.Reason.UNSAFE_NAME, "'" + commit + "' is not a 40-hex commit id; refusing to use it as a snapshot name");
        }
    }
}
