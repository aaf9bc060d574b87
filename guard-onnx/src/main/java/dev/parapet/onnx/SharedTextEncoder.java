package dev.parapet.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@link TextEncoder} shared by several heads, with a small memo so that the heads of one guard
 * call encode each text once: the prompt-toxicity, output-toxicity, refusal and preference heads
 * all read the same {@link EncodedText} of the same string.
 *
 * <p>The memo is bounded ({@code memoEntries}, oldest out first) and only holds texts of at most
 * {@link #MAX_MEMO_CHARS} characters; concurrent requests for the same text wait for one encoder
 * run instead of starting their own. It keeps the texts themselves as keys, in memory only. Longer
 * texts are not kept, but concurrent requests for one still share its single encoder run.
 *
 * <p>Every text is encoded in ONNX runs of its own unless the encoder's
 * {@link RuntimeOptions#batchAcrossTexts()} is on, so a memoised encoding is the same whichever
 * scanner (and with whichever other texts) asked for it first.
 *
 * <p>Reference counted: each holder calls {@link #retain()} once and {@link #close()} once; the
 * encoder closes with the last holder.
 */
public final class SharedTextEncoder implements AutoCloseable {
    /** Longer texts are encoded every time instead of being kept as memo keys. */
    public static final int MAX_MEMO_CHARS = 16_384;
    public static final int DEFAULT_MEMO_ENTRIES = 256;

    private final TextEncoder encoder;
    private final int memoEntries;
    private final ConcurrentHashMap<String, CompletableFuture<EncodedText>> memo = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
    /** Encodings of texts too long for the memo, while they run; removed when done. */
    private final ConcurrentHashMap<String, CompletableFuture<EncodedText>> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger references = new AtomicInteger(1);
    private final java.util.concurrent.atomic.AtomicLong encoded = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong openingsEncoded = new java.util.concurrent.atomic.AtomicLong();

    private SharedTextEncoder(TextEncoder encoder, int memoEntries) {
        this.encoder = encoder;
        this.memoEntries = memoEntries;
    }

    /** Takes ownership of {@code encoder}; the caller holds the first reference. */
    public static SharedTextEncoder of(TextEncoder encoder, int memoEntries) {
        Objects.requireNonNull(encoder, "encoder");
        if (memoEntries < 0) {
            throw new IllegalArgumentException("memoEntries must be >= 0, got " + memoEntries);
        }
        return new SharedTextEncoder(encoder, memoEntries);
    }

    public static SharedTextEncoder of(TextEncoder encoder) {
        return of(encoder, DEFAULT_MEMO_ENTRIES);
    }

    /** Adds a holder; throws {@link IllegalStateException} once the encoder is closed. */
    public SharedTextEncoder retain() {
        references.updateAndGet(n -> {
            if (n <= 0) {
                throw new IllegalStateException("shared encoder " + encoder.source().modelName() + " is closed");
            }
            return n + 1;
        });
        return this;
    }

    public TextEncoder encoder() {
        return encoder;
    }

    public EncodedText encode(String text) {
        Objects.requireNonNull(text, "text");
        return encode(List.of(text)).get(0);
    }

    /**
     * The openings of the texts ({@link TextEncoder#encodeOpenings}), in input order. Where
     * {@code known} holds a text's encoding and the text fits in {@code tokens} tokens, its one
     * window <em>is</em> its opening and is reused; the others go to the encoder in one call.
     *
     * @param known the texts' encodings by {@link #encode}, index-aligned, or {@code null}; entries may be {@code null}
     */
    public List<PooledEmbedding> openings(List<String> texts, List<EncodedText> known, int tokens) {
        Objects.requireNonNull(texts, "texts");
        if (known != null && known.size() != texts.size()) {
            throw new IllegalArgumentException("known has " + known.size() + " encodings for " + texts.size() + " texts");
        }
        PooledEmbedding[] out = new PooledEmbedding[texts.size()];
        List<String> rest = new ArrayList<>();
        List<Integer> where = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            EncodedText e = known == null ? null : known.get(i);
            if (e != null && e.windows().size() == 1 && e.windows().get(0).tokens() > 0 && e.windows().get(0).tokens() <= tokens) {
                out[i] = e.windows().get(0).embedding();
            } else {
                rest.add(Objects.requireNonNull(texts.get(i), "texts[" + i + "]"));
                where.add(i);
            }
        }
        if (!rest.isEmpty()) {
            openingsEncoded.addAndGet(rest.size());
            List<PooledEmbedding> done = encoder.encodeOpenings(rest, tokens);
            for (int k = 0; k < done.size(); k++) {
                out[where.get(k)] = done.get(k);
            }
        }
        return java.util.Arrays.asList(out);
    }

    /** Encodes the texts, reusing memoised ones; every miss goes into one encoder call. */
    public List<EncodedText> encode(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (memoEntries == 0) {
            encoded.addAndGet(texts.size());
            return encoder.encodeWindows(texts);
        }
        List<CompletableFuture<EncodedText>> futures = new ArrayList<>(texts.size());
        List<String> misses = new ArrayList<>();
        List<CompletableFuture<EncodedText>> owned = new ArrayList<>();
        List<String> uncached = new ArrayList<>();
        List<CompletableFuture<EncodedText>> uncachedFutures = new ArrayList<>();
        for (String text : texts) {
            Objects.requireNonNull(text, "texts[" + futures.size() + "]");
            if (text.length() > MAX_MEMO_CHARS) {
                // Not kept once done, but shared while in flight: the output stage's heads all
                // ask for the same long output at once and must not encode it once each.
                CompletableFuture<EncodedText> f = new CompletableFuture<>();
                CompletableFuture<EncodedText> running = inFlight.putIfAbsent(text, f);
                if (running != null) {
                    futures.add(running);
                } else {
                    uncached.add(text);
                    uncachedFutures.add(f);
                    futures.add(f);
                }
                continue;
            }
            CompletableFuture<EncodedText> mine = new CompletableFuture<>();
            CompletableFuture<EncodedText> existing = memo.putIfAbsent(text, mine);
            if (existing != null) {
                futures.add(existing);
            } else {
                futures.add(mine);
                misses.add(text);
                owned.add(mine);
                order.add(text);
            }
        }
        List<String> toEncode = new ArrayList<>(misses);
        toEncode.addAll(uncached);
        List<CompletableFuture<EncodedText>> toComplete = new ArrayList<>(owned);
        toComplete.addAll(uncachedFutures);
        if (!toEncode.isEmpty()) {
            try {
                encoded.addAndGet(toEncode.size());
                List<EncodedText> result = encoder.encodeWindows(toEncode);
                for (int i = 0; i < toComplete.size(); i++) {
                    toComplete.get(i).complete(result.get(i));
                }
            } catch (RuntimeException | Error e) {
                for (int i = 0; i < toComplete.size(); i++) {
                    toComplete.get(i).completeExceptionally(e);
                }
                for (String m : misses) {
                    memo.remove(m);
                }
                throw e;
            } finally {
                for (int i = 0; i < uncached.size(); i++) {
                    inFlight.remove(uncached.get(i), uncachedFutures.get(i));
                }
                evict();
            }
        }
        List<EncodedText> out = new ArrayList<>(futures.size());
        for (CompletableFuture<EncodedText> f : futures) {
            try {
                out.add(f.join());
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw e;
            }
        }
        return out;
    }

    private void evict() {
        while (memo.size() > memoEntries) {
            String oldest = order.poll();
            if (oldest == null) {
                return;
            }
            memo.remove(oldest);
        }
    }

    /** How many openings this instance has run ({@link #openings}; reused windows excluded); for tests and metrics. */
    public long openingsEncoded() {
        return openingsEncoded.get();
    }

    /** How many texts this instance has sent to the encoder (memo hits excluded; openings are counted apart); for tests and metrics. */
    public long textsEncoded() {
        return encoded.get();
    }

    public boolean isClosed() {
        return references.get() <= 0;
    }

    /** Drops one reference; the last closes the encoder. Extra calls after that do nothing. */
    @Override
    public void close() {
        int left = references.updateAndGet(n -> n > 0 ? n - 1 : 0);
        if (left == 0 && !encoder.isClosed()) {
            memo.clear();
            order.clear();
            encoder.close();
        }
    }
}
