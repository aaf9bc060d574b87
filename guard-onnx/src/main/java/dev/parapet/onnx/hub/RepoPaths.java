package dev.parapet.onnx.hub;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Names inside a repository (file paths, revisions) and from the network (commits, ETags): checked
 * before they reach a URL or the file system, so that nothing can point outside the cache.
 */
final class RepoPaths {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ETAG = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private RepoPaths() {
    }

    /**
     * A file path inside a repository, '/'-separated, normalised: empty and "." segments are
     * dropped. Absolute paths, '..', backslashes, ':' and control characters are rejected.
     */
    static String file(String path, String setting) {
        String normalised = normalise(path, setting, false);
        if (normalised.isEmpty()) {
            throw new IllegalArgumentException(setting + " must name a file, got '" + path + "'");
        }
        return normalised;
    }

    /** A folder inside a repository; "" (the root) is allowed. */
    static String folder(String path, String setting) {
        if (path == null) {
            throw new IllegalArgumentException(setting + " must not be null; use \"\" for the repository root");
        }
        return normalise(stripSlashes(path), setting, true);
    }

    /** A branch, tag or commit. Branch names may hold '/' (e.g. {@code refs/pr/1}) but never '..'. */
    static String revision(String revision, String setting) {
        if (revision == null || revision.isBlank()) {
            throw new IllegalArgumentException(setting + " must be a branch, tag or 40-hex commit, got "
                    + (revision == null ? "null" : "'" + revision + "'"));
        }
        String normalised = normalise(revision, setting, false);
        if (!normalised.equals(revision)) {
            throw new IllegalArgumentException(setting + " '" + revision + "' is not a plain revision name (empty or '.' parts)");
        }
        return revision;
    }

    static String join(String folder, String file) {
        return folder.isEmpty() ? file : folder + "/" + file;
    }

    static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isEtag(String etag) {
        return ETAG.matcher(etag).matches();
    }

    /** {@code base} resolved by the '/'-separated {@code relative}, which must stay inside {@code base}. */
    static Path inside(Path base, String relative) {
        Path p = base;
        for (String segment : relative.split("/")) {
            p = p.resolve(segment);
        }
        Path b = base.toAbsolutePath().normalize();
        Path r = p.toAbsolutePath().normalize();
        if (!r.startsWith(b) || r.equals(b)) {
            throw new HubException(HubException.Reason.UNSAFE_NAME, "'" + relative + "' would leave " + b + "; refusing to use it");
        }
        return p;
    }

    /** Percent-encodes a path for a URL, keeping '/' (like Python's {@code quote(path)}). */
    static String encodePath(String path) {
        return encode(path, true);
    }

    /** Percent-encodes one URL segment, '/' included (like Python's {@code quote(s, safe="")}). */
    static String encodeSegment(String segment) {
        return encode(segment, false);
    }

    private static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/');
            if (unreserved) {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return sb.toString();
    }

    private static String stripSlashes(String s) {
        int start = 0;
        int end = s.length();
        while (end > start && s.charAt(end - 1) == '/') {
            end--;
        }
        // A leading slash stays, so that normalise() rejects it as absolute.
        return s.substring(start, end);
    }

    private static String normalise(String path, String setting, boolean allowEmpty) {
        if (path == null) {
            throw new IllegalArgumentException(setting + " must not be null");
        }
        if (path.startsWith("/")) {
            throw new IllegalArgumentException(setting + " '" + path + "' is absolute; name it relative to the repository root");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                throw new IllegalArgumentException(setting + " '" + path + "' contains a backslash; hub paths use '/'");
            }
            if (c == ':') {
                throw new IllegalArgumentException(setting + " '" + path + "' contains ':', which is not portable to every file system");
            }
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(setting + " contains a control character");
            }
        }
        List<String> kept = new ArrayList<>();
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw new IllegalArgumentException(setting + " '" + path + "' contains '..'; paths must stay inside the repository");
            }
            kept.add(segment);
        }
        String result = String.join("/", kept);
        if (result.isEmpty() && !allowEmpty && !path.isEmpty()) {
            throw new IllegalArgumentException(setting + " '" + path + "' names no file");
        }
        return result;
    }
}
