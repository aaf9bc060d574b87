package dev.parapet.onnx.hub;

import dev.parapet.onnx.ModelSource;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A model on the Hugging Face hub, named by repository, revision and file names, fetched into the
 * cache that Python's {@code huggingface_hub} uses and handed to the rest of Parapet as an ordinary
 * {@link ModelSource}:
 *
 * <pre>{@code
 * ModelSource refusal = HubModelSource.builder()
 *         .repo("ProtectAI/distilroberta-base-rejection-v1")
 *         .revision("65584967c3f22ff7723e5370c65e0e76791e6055")   // pin a commit: reproducible, no network once cached
 *         .subfolder("onnx")                                       // onnx/model.onnx, onnx/tokenizer.json, onnx/config.json
 *         .build()
 *         .resolve();
 * SequenceClassifier classifier = SequenceClassifier.builder(refusal).build();
 * }</pre>
 *
 * <p><b>What is fetched.</b> {@code config.json} (unless {@link Builder#noConfig()}),
 * {@code tokenizer.json} and {@code model.onnx}, each under {@link Builder#subfolder(String)}, in
 * that order (small files first, so a wrong name or a missing token fails before a large download),
 * then any {@link Builder#extraFiles(String...) extra files} such as external ONNX weights. All come
 * from one commit: when the revision is a branch or tag, the first answer fixes the commit and the
 * other files are asked for at that commit. The tokenizer may come from another repository
 * ({@link Builder#tokenizerFrom(String, String, String)}).
 *
 * <p><b>Cache.</b> Layout, file names and symlinks are huggingface_hub's (see {@link HubOptions} for
 * where the cache is): a cache filled by {@code huggingface-cli download} is used as it is, and Python
 * reads what this class writes. A revision that is a 40-hex commit and is cached needs no network at
 * all; a branch or tag is looked up on the hub each time (one HEAD per file), as in Python, and the
 * cached copy is used when the hub cannot be reached.
 *
 * <p><b>Safety.</b> Downloads go to {@code blobs/{etag}.incomplete}, are checked against the hub's
 * content hash (sha256 for LFS files, the git blob id for others) and size, and are then moved into
 * place atomically; a broken download is resumed with an HTTP Range request. Repository ids, paths
 * and revisions are validated when set; commit ids and ETags from the network must be hex, so no
 * answer can write outside the cache. The token goes only to the endpoint's host.
 *
 * <p><b>Errors.</b> Everything fails with a {@link HubException} (a {@code ModelLoadException}) whose
 * message names the repository, revision and file, and says what to do: set a token (401/403), fix
 * the name (404), use offline mode (network down), fill the cache (offline miss).
 *
 * <p>Instances are immutable and thread-safe; {@link #resolve()} may be called from several threads
 * and processes at once (downloads of one file are serialised by a lock file).
 */
public final class HubModelSource {
    /** The default revision, as on the hub. */
    public static final String DEFAULT_REVISION = "main";

    private final RepoId repo;
    private final String revision;
    private final String modelFile;
    private final String tokenizerFile;
    private final RepoId tokenizerRepo;
    private final String tokenizerRevision;
    private final String configFile;
    private final List<String> extraFiles;
    private final HubOptions options;

    private HubModelSource(Builder b, HubOptions options) {
        this.repo = b.repo;
        this.revision = b.revision;
        this.modelFile = RepoPaths.join(b.subfolder, b.modelFile);
        this.configFile = b.configFile == null ? null : RepoPaths.join(b.subfolder, b.configFile);
        if (b.tokenizerRepo != null) {
            this.tokenizerRepo = b.tokenizerRepo;
            this.tokenizerRevision = b.tokenizerRevision;
            this.tokenizerFile = b.tokenizerPath;
        } else {
            this.tokenizerRepo = b.repo;
            this.tokenizerRevision = b.revision;
            this.tokenizerFile = RepoPaths.join(b.subfolder, b.tokenizerFile);
        }
        List<String> extras = new ArrayList<>();
        for (String e : b.extraFiles) {
            extras.add(RepoPaths.join(b.subfolder, e));
        }
        this.extraFiles = List.copyOf(extras);
        this.options = options;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fetches what the cache lacks and returns the files as a {@link ModelSource} pointing into the
     * cache's snapshot, ready for {@code SequenceClassifier}, {@code TextEncoder} or a scanner.
     *
     * @throws HubException naming the file, repository and revision, and what to change
     */
    public ModelSource resolve() {
        return fetch().toModelSource();
    }

    /** Like {@link #resolve()}, returning the cached paths and the commit they came from. */
    public HubFiles fetch() {
        FileResolver resolver = new FileResolver(options);
        String pinned = revision;
        Path config = null;
        if (configFile != null) {
            FileResolver.Resolved r = resolver.resolve(new FileRef(repo, pinned, configFile));
            config = r.file();
            pinned = r.commit();
        }
        boolean sameRepo = tokenizerRepo.equals(repo) && tokenizerRevision.equals(revision);
        FileResolver.Resolved tokenizer = resolver.resolve(new FileRef(tokenizerRepo, sameRepo ? pinned : tokenizerRevision, tokenizerFile));
        if (sameRepo) {
            pinned = tokenizer.commit();
        }
        FileResolver.Resolved model = resolver.resolve(new FileRef(repo, pinned, modelFile));
        pinned = model.commit();
        List<Path> extras = new ArrayList<>(extraFiles.size());
        for (String extra : extraFiles) {
            extras.add(resolver.resolve(new FileRef(repo, pinned, extra)).file());
        }
        return new HubFiles(repo.id(), pinned, model.file(), tokenizer.file(), tokenizer.commit(), config, extras);
    }

    /** The model repository, {@code org/name}. */
    public String repo() {
        return repo.id();
    }

    /** The revision asked for: a branch, a tag or a commit. */
    public String revision() {
        return revision;
    }

    /** The ONNX model's path in the repository, subfolder included (e.g. {@code onnx/model.onnx}). */
    public String modelFile() {
        return modelFile;
    }

    /** The repository the tokenizer comes from (the model's unless set otherwise). */
    public String tokenizerRepo() {
        return tokenizerRepo.id();
    }

    public String tokenizerRevision() {
        return tokenizerRevision;
    }

    /** The tokenizer's path in {@link #tokenizerRepo()}. */
    public String tokenizerFile() {
        return tokenizerFile;
    }

    /** The config's path in the repository, unless none is fetched. */
    public Optional<String> configFile() {
        return Optional.ofNullable(configFile);
    }

    public List<String> extraFiles() {
        return extraFiles;
    }

    public HubOptions options() {
        return options;
    }

    @Override
    public String toString() {
        return "HubModelSource{" + repo.id() + "@" + revision + ":" + modelFile
                + (tokenizerRepo.equals(repo) ? "" : ", tokenizer=" + tokenizerRepo.id() + "@" + tokenizerRevision + ":" + tokenizerFile) + '}';
    }

    /** Settings for a {@link HubModelSource}; each setter validates at once and names the setting. */
    public static final class Builder {
        private RepoId repo;
        private String revision = DEFAULT_REVISION;
        private String subfolder = "";
        private String modelFile = "model.onnx";
        private String tokenizerFile = "tokenizer.json";
        private String configFile = "config.json";
        private RepoId tokenizerRepo;
        private String tokenizerRevision;
        private String tokenizerPath;
        private final List<String> extraFiles = new ArrayList<>();
        private HubOptions baseOptions;
        private HubOptions.Builder options;

        private Builder() {
        }

        /** The model repository, {@code org/name} (e.g. {@code ProtectAI/unbiased-toxic-roberta-onnx}). Required. */
        public Builder repo(String repo) {
            this.repo = RepoId.parse(repo, "repo");
            return this;
        }

        /** Branch, tag or 40-hex commit; default {@value HubModelSource#DEFAULT_REVISION}. Pin a commit for reproducible builds. */
        public Builder revision(String revision) {
            this.revision = RepoPaths.revision(revision, "revision");
            return this;
        }

        /** Folder of the repository holding the files (e.g. {@code onnx}); default the root. */
        public Builder subfolder(String subfolder) {
            this.subfolder = RepoPaths.folder(subfolder, "subfolder");
            return this;
        }

        /** The ONNX model, relative to the subfolder; default {@code model.onnx} (e.g. {@code model_quantized.onnx}, {@code onnx/model.onnx}). */
        public Builder modelFile(String modelFile) {
            this.modelFile = RepoPaths.file(modelFile, "modelFile");
            return this;
        }

        /** The tokenizer, relative to the subfolder; default {@code tokenizer.json}. */
        public Builder tokenizerFile(String tokenizerFile) {
            this.tokenizerFile = RepoPaths.file(tokenizerFile, "tokenizerFile");
            this.tokenizerRepo = null;
            return this;
        }

        /**
         * Takes the tokenizer from another repository, for ONNX exports published without one:
         * {@code path} is relative to that repository's root.
         */
        public Builder tokenizerFrom(String repo, String revision, String path) {
            this.tokenizerRepo = RepoId.parse(repo, "tokenizerFrom repo");
            this.tokenizerRevision = RepoPaths.revision(revision, "tokenizerFrom revision");
            this.tokenizerPath = RepoPaths.file(path, "tokenizerFrom path");
            return this;
        }

        /** The classifier configuration (labels, problem type), relative to the subfolder; default {@code config.json}. */
        public Builder configFile(String configFile) {
            this.configFile = RepoPaths.file(configFile, "configFile");
            return this;
        }

        /** Fetch no config.json: for plain encoders, which need none. */
        public Builder noConfig() {
            this.configFile = null;
            return this;
        }

        /**
         * More files to fetch into the same snapshot, relative to the subfolder: e.g. the external
         * weights of a model over 2 GB ({@code model.onnx_data}), which ONNX Runtime looks for beside
         * the model.
         */
        public Builder extraFiles(String... paths) {
            Objects.requireNonNull(paths, "paths");
            List<String> checked = new ArrayList<>(paths.length);
            for (String p : paths) {
                checked.add(RepoPaths.file(p, "extraFiles"));
            }
            extraFiles.clear();
            extraFiles.addAll(checked);
            return this;
        }

        /** All hub settings at once; the setters below then change single ones on top. Default {@link HubOptions#defaults()}. */
        public Builder options(HubOptions options) {
            this.baseOptions = Objects.requireNonNull(options, "options");
            this.options = null;
            return this;
        }

        /** See {@link HubOptions.Builder#endpoint(URI)}. */
        public Builder endpoint(URI endpoint) {
            options().endpoint(endpoint);
            return this;
        }

        /** See {@link HubOptions.Builder#cacheDirectory(Path)}. */
        public Builder cacheDirectory(Path cacheDirectory) {
            options().cacheDirectory(cacheDirectory);
            return this;
        }

        /** See {@link HubOptions.Builder#token(String)}. */
        public Builder token(String token) {
            options().token(token);
            return this;
        }

        /** See {@link HubOptions.Builder#offline(boolean)}. */
        public Builder offline(boolean offline) {
            options().offline(offline);
            return this;
        }

        /** See {@link HubOptions.Builder#timeout(Duration)}. */
        public Builder timeout(Duration timeout) {
            options().timeout(timeout);
            return this;
        }

        private HubOptions.Builder options() {
            if (options == null) {
                options = baseOptions != null ? baseOptions.toBuilder() : HubOptions.builder();
            }
            return options;
        }

        /** Checks the settings; nothing is fetched until {@link HubModelSource#resolve()}. */
        public HubModelSource build() {
            if (repo == null) {
                throw new IllegalStateException("repo is required: HubModelSource.builder().repo(\"org/name\")");
            }
            HubOptions o = options != null ? options.build() : baseOptions != null ? baseOptions : HubOptions.defaults();
            return new HubModelSource(this, o);
        }
    }
}
