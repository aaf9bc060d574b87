package dev.parapet.onnx.hub;

import java.util.regex.Pattern;

/**
 * A model repository id, {@code org/name}, checked against the hub's naming rules before it becomes
 * part of a URL or of a cache directory name ({@code models--org--name}).
 */
record RepoId(String namespace, String name) {
    /** The hub's rule: word characters, '-' and '.', starting and ending with a word character. */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final int MAX_PART = 96;

    static RepoId parse(String id, String setting) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException(setting + " must be a Hugging Face repository id such as 'ProtectAI/unbiased-toxic-roberta-onnx', got "
                    + (id == null ? "null" : "'" + id + "'"));
        }
        String[] parts = id.split("/", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException(setting + " must be 'org/name' (one slash), got '" + id + "'");
        }
        for (String part : parts) {
            if (part.length() > MAX_PART || !PART.matcher(part).matches() || part.contains("--") || part.contains("..")) {
                throw new IllegalArgumentException(setting + " '" + id + "': '" + part + "' is not a valid hub name (letters, digits, "
                        + "'_', '-' and '.', starting and ending with a letter, digit or '_', no '--' or '..', at most " + MAX_PART + " characters)");
            }
        }
        if (parts[1].endsWith(".git")) {
            throw new IllegalArgumentException(setting + " '" + id + "': a repository name may not end with '.git'");
        }
        return new RepoId(parts[0], parts[1]);
    }

    /** {@code org/name}, as in URLs. */
    String id() {
        return namespace + "/" + name;
    }

    /** The cache folder name Python's huggingface_hub uses: {@code models--org--name}. */
    String folderName() {
        return "models--" + namespace + "--" + name;
    }

    @Override
    public String toString() {
        return id();
    }
}
