package dev.parapet.onnx.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The hub's ETag is a content hash: the sha256 of an LFS file (64 hex), or the git blob id of a
 * plain file (40 hex: sha1 of {@code "blob <size>\0"} followed by the bytes). Either way the
 * downloaded bytes can be checked against it.
 */
final class ContentHash {
    private ContentHash() {
    }

    /** The hash of {@code file} in the same form as {@code etag} (sha256 or git blob sha1). */
    static String of(Path file, String etag) throws IOException {
        boolean lfs = etag.length() == 64;
        MessageDigest md = digest(lfs ? "SHA-256" : "SHA-1");
        if (!lfs) {
            md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String kind(String etag) {
        return etag.length() == 64 ? "sha256" : "git blob sha1";
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required on every Java platform", e);
        }
    }
}
