package dev.parapet.onnx.hub;

import dev.parapet.onnx.ModelSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The files a {@link HubModelSource} put in (or found in) the cache: paths inside
 * {@code snapshots/{commit}/}, and the commit they belong to. Immutable.
 */
public final class HubFiles {
    private final String repo;
    private final String commit;
    private final Path model;
    private final Path tokenizer;
    private final String tokenizerCommit;
    private final Path config;
    private final List<Path> extraFiles;

    HubFiles(String repo, String commit, Path model, Path tokenizer, String tokenizerCommit, Path config, List<Path> extraFiles) {
        this.repo = repo;
        this.commit = commit;
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokenizerCommit = tokenizerCommit;
        this.config = config;
        this.extraFiles = List.copyOf(extraFiles);
    }

    /** The model repository, {@code org/name}. */
    public String repo() {
        return repo;
    }

    /** The commit the model's files came from: the revision asked for, resolved. */
    public String commit() {
        return commit;
    }

    public Path model() {
        return model;
    }

    public Path tokenizer() {
        return tokenizer;
    }

    /** The commit of the tokenizer's repository (the model's commit unless the tokenizer comes from elsewhere). */
    public String tokenizerCommit() {
        return tokenizerCommit;
    }

    /** {@code config.json}, unless the source was built with {@code noConfig()}. */
    public Optional<Path> config() {
        return Optional.ofNullable(config);
    }

    /** The extra files asked for, in the order asked. */
    public List<Path> extraFiles() {
        return extraFiles;
    }

    /** These files as a {@link ModelSource}, for {@code SequenceClassifier}, {@code TextEncoder} and the scanners. */
    public ModelSource toModelSource() {
        return ModelSource.files(model, tokenizer, config);
    }

    @Override
    public String toString() {
        return "HubFiles{" + repo + "@" + commit + ", model=" + model + '}';
    }
}
