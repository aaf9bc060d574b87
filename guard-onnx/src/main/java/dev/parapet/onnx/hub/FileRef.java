package dev.parapet.onnx.hub;

/** One file of one repository at one revision, as error messages name it. */
record FileRef(RepoId repo, String revision, String path) {

    FileRef at(String commit) {
        return new FileRef(repo, commit, path);
    }

    @Override
    public String toString() {
        return "'" + path + "' in " + repo.id() + " at revision " + revision;
    }
}
