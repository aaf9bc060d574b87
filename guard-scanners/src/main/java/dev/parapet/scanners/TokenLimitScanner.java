package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.TokenCounter;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Holds a text to a number of tokens, counted with a Hugging Face {@code tokenizer.json}: either
 * flags a longer text ({@link Action#BLOCK}) or cuts it ({@link Action#TRUNCATE}).
 *
 * <pre>{@code
 * Scanner limit = TokenLimitScanner.builder()
 *         .tokenizer(Path.of("models/my-llm/tokenizer.json"))
 *         .maxTokens(4096)
 *         .action(TokenLimitScanner.Action.TRUNCATE)
 *         .build();
 * }</pre>
 *
 * <h2>Counting</h2>
 * Tokens are those of the text alone, without special tokens, padding or truncation (see
 * {@link TokenCounter}); a chat template's own tokens are not included, so leave headroom. Use the
 * tokenizer of the model the text is for: counts differ between tokenizers by tens of percent.
 *
 * <h2>Results</h2>
 * Score and threshold are {@code NaN}; attributes {@code tokens} (the text's count) and
 * {@code max_tokens}. A text within the limit is {@link Decision#PASSED}. Over it:
 * <ul>
 *   <li>{@link Action#BLOCK}: {@link Decision#FLAGGED}, label {@value #LABEL}, one evidence from
 *       the start of the first token past the limit to the end of the text.</li>
 *   <li>{@link Action#TRUNCATE}: a sanitizer; {@link ScanResult#sanitizedText()} is the text cut
 *       at the end of the last token within the limit (UTF-16 offsets, so never inside a
 *       surrogate pair; text after that token, spaces included, goes). Where two tokens share a
 *       character (a byte-level BPE tokenizer splits an emoji's bytes), the cut moves back to the
 *       last clean boundary. The evidence spans the removed part; attributes add
 *       {@code tokens_removed} and {@code tokens_kept}. The result is {@link Decision#FLAGGED}
 *       unless {@link Builder#flagWhenSanitized(boolean) flagWhenSanitized(false)}.</li>
 * </ul>
 * Caveat: the kept prefix is measured with the text's own tokenization; tokenizing the prefix alone
 * can differ by a token at the cut (a word cut after a sub-word piece may be split differently).
 *
 * <h2>Lifecycle</h2>
 * The tokenizer loads when the scanner is built (a missing or broken file fails there). A scanner
 * that loaded its own tokenizer closes it in {@link #close()}; one given a {@link TokenCounter}
 * through {@link Builder#counter(TokenCounter)} leaves it open for its owner. Scans after close
 * return an ERROR result. Thread-safe.
 */
public final class TokenLimitScanner implements Scanner {
    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "token-limit";
    /** The label of a result over the limit. */
    public static final String LABEL = "token_limit";

    /** What to do with a text over the limit. */
    public enum Action {
        /** Flag it. */
        BLOCK,
        /** Cut it to the limit (a sanitizer). */
        TRUNCATE
    }

    private final String name;
    private final TokenCounter counter;
    private final boolean ownsCounter;
    private final int maxTokens;
    private final Action action;
    private final boolean flagWhenSanitized;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TokenLimitScanner(Builder b, TokenCounter counter, boolean ownsCounter) {
        this.name = b.name;
        this.counter = counter;
        this.ownsCounter = ownsCounter;
        this.maxTokens = b.maxTokens;
        this.action = b.action;
        this.flagWhenSanitized = b.flagWhenSanitized;
    }

    /** A builder; a tokenizer and {@link Builder#maxTokens(int)} must be set before {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** True for {@link Action#TRUNCATE}. */
    @Override
    public boolean isSanitizer() {
        return action == Action.TRUNCATE;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public Action action() {
        return action;
    }

    /** The counter this scanner counts with. */
    public TokenCounter counter() {
        return counter;
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        long start = System.nanoTime();
        try {
            if (closed.get()) {
                throw new IllegalStateException("scanner '" + name + "' is closed");
            }
            String text = input.text();
            ScanResult.Builder r = ScanResult.builder(name, input.stage())
                    .attribute("max_tokens", Integer.toString(maxTokens));
            // No shortcut on short texts: a byte-level BPE tokenizer can make several tokens of one char.
            TokenCounter.Spans spans = counter.spans(text);
            int count = spans.count();
            r.attribute("tokens", Integer.toString(count));
            if (count <= maxTokens) {
                return r.decision(Decision.PASSED).latency(RuleResults.since(start)).build();
            }
            r.label(LABEL);
            if (action == Action.BLOCK) {
                int from = spans.start(maxTokens);
                return r.decision(Decision.FLAGGED)
                        .evidence(new Evidence(from, text.length(), LABEL, Double.NaN, String.format(Locale.ROOT,
                                "tokens %d to %d of %d are over the limit of %d", maxTokens + 1, count, count, maxTokens)))
                        .latency(RuleResults.since(start)).build();
            }
            int kept = cleanCut(spans);
            int cut = kept == 0 ? 0 : spans.end(kept - 1);
            // Unchanged only if every token past the cut has an empty span; over the limit is still over it.
            String truncated = RuleResults.changed(text, text.substring(0, cut));
            return r.decision(truncated == null || flagWhenSanitized ? Decision.FLAGGED : Decision.PASSED)
                    .sanitizedText(truncated)
                    .evidence(new Evidence(cut, text.length(), LABEL, Double.NaN, String.format(Locale.ROOT,
                            "removed %d of %d tokens to fit the limit of %d", count - kept, count, maxTokens)))
                    .attribute("tokens_kept", Integer.toString(kept))
                    .attribute("tokens_removed", Integer.toString(count - kept))
                    .latency(RuleResults.since(start)).build();
        } catch (RuntimeException e) {
            return ScanResult.error(name, input.stage(), e, RuleResults.since(start));
        }
    }

    /**
     * How many leading tokens to keep: at most {@code maxTokens}, fewer when token
     * {@code maxTokens} shares a character with the one before it, so the cut drops no token's
     * character halfway.
     */
    private int cleanCut(TokenCounter.Spans spans) {
        int kept = maxTokens;
        while (kept > 0 && spans.start(kept) < spans.end(kept - 1)) {
            kept--;
        }
        return kept;
    }

    /** Closes the tokenizer if this scanner loaded it. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsCounter) {
            counter.close();
        }
    }

    @Override
    public String toString() {
        return "TokenLimitScanner{" + name + ", " + counter.name() + ", maxTokens=" + maxTokens + ", " + action + '}';
    }

    /** Settings for a {@link TokenLimitScanner}; each setter validates at once, the tokenizer loads in {@link #build()}. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private Supplier<TokenCounter> loader;
        private TokenCounter shared;
        private int maxTokens;
        private Action action = Action.BLOCK;
        private boolean flagWhenSanitized = true;

        private Builder() {
        }

        /** The scanner's name in results (default {@value TokenLimitScanner#DEFAULT_NAME}). */
        public Builder name(String name) {
            this.name = RuleResults.name(name);
            return this;
        }

        /** Counts with the {@code tokenizer.json} of a model source; the scanner owns and closes it. */
        public Builder tokenizer(ModelSource source) {
            Objects.requireNonNull(source, "source");
            return load(() -> TokenCounter.load(source));
        }

        /** Counts with a {@code tokenizer.json} file; the scanner owns and closes it. */
        public Builder tokenizer(Path tokenizerJson) {
            Objects.requireNonNull(tokenizerJson, "tokenizerJson");
            return load(() -> TokenCounter.load(tokenizerJson));
        }

        /** Counts with a {@code tokenizer.json} classpath resource; the scanner owns and closes it. */
        public Builder tokenizerResource(String resource) {
            Objects.requireNonNull(resource, "resource");
            return load(() -> TokenCounter.fromResource(resource));
        }

        /** Counts with a counter the caller owns (shared between scanners, say); the scanner never closes it. */
        public Builder counter(TokenCounter counter) {
            this.shared = Objects.requireNonNull(counter, "counter");
            this.loader = null;
            return this;
        }

        private Builder load(Supplier<TokenCounter> loader) {
            this.loader = loader;
            this.shared = null;
            return this;
        }

        /** The most tokens a text may have; required, positive. */
        public Builder maxTokens(int maxTokens) {
            if (maxTokens <= 0) {
                throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
            }
            this.maxTokens = maxTokens;
            return this;
        }

        /** {@link Action#BLOCK} (default) or {@link Action#TRUNCATE}. */
        public Builder action(Action action) {
            this.action = Objects.requireNonNull(action, "action");
            return this;
        }

        /**
         * Whether a text this scanner truncated is still {@link Decision#FLAGGED} (default true, so
         * the guard blocks); false lets the truncated text through as {@link Decision#PASSED}.
         */
        public Builder flagWhenSanitized(boolean flagWhenSanitized) {
            this.flagWhenSanitized = flagWhenSanitized;
            return this;
        }

        /**
         * Loads the tokenizer (unless one was passed to {@link #counter}).
         *
         * @throws IllegalStateException              if no tokenizer or no maxTokens was set
         * @throws dev.parapet.core.ModelLoadException if the tokenizer cannot be loaded
         */
        public TokenLimitScanner build() {
            if (maxTokens == 0) {
                throw new IllegalStateException("maxTokens must be set: TokenLimitScanner.builder().maxTokens(...)");
            }
            if (shared != null) {
                return new TokenLimitScanner(this, shared, false);
            }
            if (loader == null) {
                throw new IllegalStateException("a tokenizer must be set: TokenLimitScanner.builder().tokenizer(...), "
                        + ".tokenizerResource(...) or .counter(...)");
            }
            return new TokenLimitScanner(this, loader.get(), true);
        }
    }
}
