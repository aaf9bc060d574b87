package dev.parapet.train;

import dev.parapet.onnx.PooledEmbedding;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The shared datasets and their embeddings for one encoder and window length, loaded lazily and
 * embedded through the {@link EmbeddingCache}. One place that knows the data layout
 * ({@code toxicity/}, {@code refusal/}, {@code preference/} with {@code train.jsonl} and
 * {@code dev.jsonl}).
 */
public final class Workbench implements AutoCloseable {
    private final Path data;
    private final EmbeddingCache cache;
    private final Embedder embedder;
    private final Map<String, Object> memo = new HashMap<>();

    public Workbench(Path data, EmbeddingCache cache, EncoderSpec encoder, int maxLength, int threads, PrintStream progress) {
        this.data = Objects.requireNonNull(data, "data");
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException("data directory " + data.toAbsolutePath() + " does not exist");
        }
        this.cache = Objects.requireNonNull(cache, "cache");
        this.embedder = new Embedder(encoder, maxLength, threads, progress);
    }

    public Path data() {
        return data;
    }

    public EncoderSpec encoder() {
        return embedder.spec();
    }

    public int maxLength() {
        return embedder.maxLength();
    }

    public Embedder embedder() {
        return embedder;
    }

    public Path file(String task, String split) {
        Path f = data.resolve(task).resolve(split + ".jsonl");
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("dataset file " + f.toAbsolutePath() + " does not exist");
        }
        return f;
    }

    @SuppressWarnings("unchecked")
    private <T> T memo(String key, Function<String, T> load) {
        return (T) memo.computeIfAbsent(key, k -> load.apply(k));
    }

    public List<LabelledText> toxicity(String split) {
        return memo("tox/" + split, k -> Jsonl.readToxicity(file("toxicity", split)));
    }

    public List<LabelledText> refusal(String split) {
        return memo("ref/" + split, k -> Jsonl.readRefusal(file("refusal", split)));
    }

    public List<PreferencePair> preference(String split) {
        return memo("pref/" + split, k -> Jsonl.readPreference(file("preference", split)));
    }

    /** Embeddings of any texts (cached on disk); {@code what} names the entry in progress lines and file names. */
    public List<TextEmbedding> embed(List<String> texts, String what) {
        return memo("emb/" + what + "/" + texts.size() + "/" + texts.hashCode(), k -> cache.embed(embedder, texts, what));
    }

    /**
     * {@code embedded} (the embeddings of {@code rows}' texts, index-aligned) with each text's opening of
     * {@code tokens} tokens attached (cached on disk like embeddings).
     */
    public List<TextEmbedding> withOpenings(List<TextEmbedding> embedded, List<LabelledText> rows, String what, int tokens) {
        if (embedded.size() != rows.size()) {
            throw new IllegalArgumentException(embedded.size() + " embeddings for " + rows.size() + " rows");
        }
        List<String> t = new ArrayList<>(rows.size());
        rows.forEach(r -> t.add(r.text()));
        List<PooledEmbedding> openings = openings(t, what, tokens);
        List<TextEmbedding> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            out.add(embedded.get(i).withOpening(openings.get(i)));
        }
        return out;
    }

    /** The openings of {@code tokens} tokens of the texts ({@code TextEncoder.encodeOpenings}), cached on disk. */
    public List<PooledEmbedding> openings(List<String> texts, String what, int tokens) {
        List<TextEmbedding> e = memo("open/" + what + "/" + tokens + "/" + texts.size() + "/" + texts.hashCode(),
                k -> cache.embed(embedder, texts, what, tokens));
        List<PooledEmbedding> out = new ArrayList<>(e.size());
        e.forEach(x -> out.add(x.pooled()));
        return out;
    }

    /** Embeddings of the judged texts of labelled rows. */
    public List<TextEmbedding> embedTexts(List<LabelledText> rows, String what) {
        List<String> t = new ArrayList<>(rows.size());
        rows.forEach(r -> t.add(r.text()));
        return embed(t, what);
    }

    /** Prompt, chosen and rejected embeddings of preference pairs (one cache entry for all three). */
    public PairEmbeddings embedPairs(List<PreferencePair> pairs, String what) {
        List<String> t = new ArrayList<>(pairs.size() * 3);
        pairs.forEach(p -> t.add(p.prompt()));
        pairs.forEach(p -> t.add(p.chosen()));
        pairs.forEach(p -> t.add(p.rejected()));
        List<TextEmbedding> all = embed(t, what);
        int n = pairs.size();
        return new PairEmbeddings(all.subList(0, n), all.subList(n, 2 * n), all.subList(2 * n, 3 * n));
    }

    /** Embeddings of preference pairs, index-aligned. */
    public record PairEmbeddings(List<TextEmbedding> prompts, List<TextEmbedding> chosen, List<TextEmbedding> rejected) {
    }

    public static int[] labels(List<LabelledText> rows) {
        int[] y = new int[rows.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = rows.get(i).label();
        }
        return y;
    }

    @Override
    public void close() {
        embedder.close();
    }
}
