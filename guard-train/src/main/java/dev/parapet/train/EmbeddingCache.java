package dev.parapet.train;

import dev.parapet.onnx.PooledEmbedding;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Embeddings on disk, so that experiments re-use one encoder pass. An entry is keyed by the sha256
 * of the texts themselves (which covers the data file and any derived text list), the encoder's
 * name and sha256, the intermediate output read (if any), the window length, the chunking and the thread count: anything that changes an
 * embedding changes the key. Entries are written to a temporary file and moved into place.
 */
public final class EmbeddingCache {
    private static final int MAGIC = 0x50454D31; // "PEM1"
    private static final int VERSION = 1;

    private final Path directory;

    public EmbeddingCache(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    public Path directory() {
        return directory;
    }

    /** Embeddings of {@code texts} from the cache, or from {@code embedder} (then stored). */
    public List<TextEmbedding> embed(Embedder embedder, List<String> texts, String what) {
        return embed(embedder, texts, what, 0);
    }

    /**
     * As {@link #embed(Embedder, List, String)} for {@code opening == 0}; otherwise the texts' openings of
     * {@code opening} tokens ({@link Embedder#embedOpenings}), one window each.
     */
    public List<TextEmbedding> embed(Embedder embedder, List<String> texts, String what, int opening) {
        Path file = directory.resolve(fileName(embedder, texts, opening == 0 ? what : what + "-opening" + opening, opening));
        if (Files.isRegularFile(file)) {
            List<TextEmbedding> cached = read(file, texts.size());
            if (cached != null) {
                return cached;
            }
        }
        List<TextEmbedding> fresh = opening == 0 ? embedder.embed(texts, what) : embedder.embedOpenings(texts, what, opening);
        write(file, fresh);
        return fresh;
    }

    static String fileName(Embedder embedder, List<String> texts, String what, int opening) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("v" + VERSION + "|" + embedder.spec().name() + "|" + embedder.spec().sha256() + "|" + embedder.maxLength()
                    + "|chunk=" + Embedder.CHUNK + "|threads=" + embedder.threads() + "|n=" + texts.size()
                    + (opening == 0 ? "" : "|opening=" + opening) + (embedder.tap() == null ? "" : "|tap=" + embedder.tap())).getBytes(StandardCharsets.UTF_8));
            for (String t : texts) {
                md.update((byte) 0);
                md.update(t.getBytes(StandardCharsets.UTF_8));
            }
            String key = HexFormat.of().formatHex(md.digest()).substring(0, 16);
            String encoder = embedder.spec().name() + (embedder.tap() == null ? "" : "-" + Taps.shortName(embedder.tap()));
            return what.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + encoder + "-" + embedder.maxLength() + "-" + key + ".emb";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, List<TextEmbedding> embeddings) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
                int h = embeddings.isEmpty() ? 0 : embeddings.get(0).pooled().dimension();
                out.writeInt(MAGIC);
                out.writeInt(VERSION);
                out.writeInt(embeddings.size());
                out.writeInt(h);
                ByteBuffer buf = ByteBuffer.allocate(3 * h * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (TextEmbedding e : embeddings) {
                    out.writeInt(e.windows().size());
                    writePooled(out, buf, e.pooled());
                    if (e.windows().size() > 1) {
                        for (PooledEmbedding w : e.windows()) {
                            writePooled(out, buf, w);
                        }
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write embedding cache " + file, e);
        }
    }

    private static void writePooled(DataOutputStream out, ByteBuffer buf, PooledEmbedding p) throws IOException {
        buf.clear();
        buf.asFloatBuffer().put(p.mean()).put(p.cls()).put(p.max());
        out.write(buf.array());
    }

    /** Returns {@code null} when the file is not a complete entry for {@code expected} texts. */
    private static List<TextEmbedding> read(Path file, int expected) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                return null;
            }
            int n = in.readInt();
            int h = in.readInt();
            if (n != expected) {
                return null;
            }
            byte[] bytes = new byte[3 * h * Float.BYTES];
            List<TextEmbedding> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int windows = in.readInt();
                PooledEmbedding pooled = readPooled(in, bytes, h);
                if (windows == 1) {
                    out.add(new TextEmbedding(pooled, List.of(pooled)));
                } else {
                    List<PooledEmbedding> ws = new ArrayList<>(windows);
                    for (int w = 0; w < windows; w++) {
                        ws.add(readPooled(in, bytes, h));
                    }
                    out.add(new TextEmbedding(pooled, ws));
                }
            }
            return out;
        } catch (IOException e) {
            return null; // a truncated entry is re-computed
        }
    }

    private static PooledEmbedding readPooled(DataInputStream in, byte[] bytes, int h) throws IOException {
        in.readFully(bytes);
        java.nio.FloatBuffer fb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] mean = new float[h];
        float[] cls = new float[h];
        float[] max = new float[h];
        fb.get(mean).get(cls).get(max);
        return new PooledEmbedding(mean, cls, max);
    }
}
