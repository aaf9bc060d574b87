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
    private final Map<String, Object> memo;
    /** Intermediate encoder outputs attached to every embedding this view returns ({@link #tapped}). */
    private final List<String> taps;
    /** One embedder per intermediate output, shared by all views of one workbench. */
    private final Map<String, Embedder> tapEmbedders;
    private final PrintStream progress;
    private final int threads;
    private final boolean root;
    /** What a text's opening is taken from (measurement: e.g. only its first sentence); identity by default. */
    private final java.util.function.UnaryOperator<String> openingView;

    public Workbench(Path data, EmbeddingCache cache, EncoderSpec encoder, int maxLength, int threads, PrintStream progress) {
        this.data = Objects.requireNonNull(data, "data");
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException("data directory " + data.toAbsolutePath() + " does not exist");
        }
        this.cache = Objects.requireNonNull(cache, "cache");
        this.embedder = new Embedder(encoder, maxLength, threads, progress);
        this.memo = new HashMap<>();
        this.taps = List.of();
        this.tapEmbedders = new HashMap<>();
        this.progress = progress;
        this.threads = threads;
        this.root = true;
        this.openingView = null;
    }

    private Workbench(Workbench parent, List<String> taps) {
        this(parent, taps, parent.openingView);
    }

    private Workbench(Workbench parent, List<String> taps, java.util.function.UnaryOperator<String> openingView) {
        this.data = parent.data;
        this.cache = parent.cache;
        this.embedder = parent.embedder;
        this.memo = parent.memo;
        this.taps = List.copyOf(taps);
        this.tapEmbedders = parent.tapEmbedders;
        this.progress = parent.progress;
        this.threads = parent.threads;
        this.root = false;
        this.openingView = openingView;
    }

    /**
     * Measurement only: the same workbench, with each text's opening taken from {@code view.apply(text)} instead of the
     * text (the runtime takes it from the text). Closing a view does nothing.
     */
    public Workbench withOpeningView(java.util.function.UnaryOperator<String> view) {
        return new Workbench(this, taps, java.util.Objects.requireNonNull(view, "view"));
    }

    /**
     * The same data and cache, with the poolings of these intermediate encoder outputs attached to
     * every embedding and opening ({@link PooledEmbedding#taps()}), as heads with
     * {@link FeatureSpec#taps()} read them. Each output is embedded (and cached) on its own, by an
     * encoder run only as far as that tensor. Closing a view does nothing; close the workbench.
     */
    public Workbench tapped(List<String> taps) {
        return taps.equals(this.taps) ? this : new Workbench(this, taps);
    }

    public List<String> taps() {
        return taps;
    }

    private Embedder tapEmbedder(String tap) {
        return tapEmbedders.computeIfAbsent(tap, t -> new Embedder(embedder.spec(), embedder.maxLength(), threads, progress, t));
    }

    public Path data() {
        return data;
    }

    public EncoderSpec encoder() {
        return embedder.spec();
    }

    /** Each text's windows of token ids, as the embeddings' windows are cut (tokenizer only, not cached). */
    public List<List<int[]>> windowPieces(List<String> texts) {
        return embedder.windowPieces(texts);
    }

    public int maxLength() {
        return embedder.maxLength();
    }

    public Embedder embedder() {
        return embedder;
    }

    /** Seconds spent embedding, the final layer's embedder and every intermediate layer's together. */
    public double secondsEmbedding() {
        return embedder.secondsEmbedding() + tapEmbedders.values().stream().mapToDouble(Embedder::secondsEmbedding).sum();
    }

    /** Texts embedded (cache hits excluded), the final layer's and every intermediate layer's together. */
    public long textsEmbedded() {
        return embedder.textsEmbedded() + tapEmbedders.values().stream().mapToLong(Embedder::textsEmbedded).sum();
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
        String key = "emb/" + what + "/" + texts.size() + "/" + texts.hashCode();
        return attachTaps(memo(key, k -> cache.embed(embedder, texts, what)), key, e -> cache.embed(e, texts, what));
    }

    /**
     * {@code main} with each text's poolings at every one of {@link #taps} attached ({@link TextEmbedding#withTaps});
     * {@code embed} embeds the same texts with a tap's embedder (cached on disk, memoised under {@code key}).
     */
    private List<TextEmbedding> attachTaps(List<TextEmbedding> main, String key, Function<Embedder, List<TextEmbedding>> embed) {
        if (taps.isEmpty()) {
            return main;
        }
        List<List<TextEmbedding>> tapped = new ArrayList<>(taps.size());
        for (String tap : taps) {
            tapped.add(memo("@" + tap + "/" + key, k -> embed.apply(tapEmbedder(tap))));
        }
        return memo(taps + "/" + key, k -> {
            List<TextEmbedding> out = new ArrayList<>(main.size());
            for (int i = 0; i < main.size(); i++) {
                int ii = i;
                out.add(main.get(i).withTaps(taps, tapped.stream().map(t -> t.get(ii)).toList()));
            }
            return out;
        });
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
        rows.forEach(r -> t.add(openingView == null ? r.text() : openingView.apply(r.text())));
        List<PooledEmbedding> openings = openings(t, openingView == null ? what : what + "-viewed", tokens);
        List<TextEmbedding> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            out.add(embedded.get(i).withOpening(openings.get(i)));
        }
        return out;
    }

    /** The openings of {@code tokens} tokens of the texts ({@code TextEncoder.encodeOpenings}), cached on disk. */
    public List<PooledEmbedding> openings(List<String> texts, String what, int tokens) {
        String key = "open/" + what + "/" + tokens + "/" + texts.size() + "/" + texts.hashCode();
        List<TextEmbedding> e = attachTaps(memo(key, k -> cache.embed(embedder, texts, what, tokens)), key,
                emb -> cache.embed(emb, texts, what, tokens));
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
        if (!root) {
            return;
        }
        embedder.close();
        tapEmbedders.values().forEach(Embedder::close);
        tapEmbedders.clear();
    }
}
