package dev.parapet.onnx;

/**
 * How a model runs: threads, execution provider and batch packing. Immutable; build with
 * {@link #builder()}. Setters validate at once and name the setting.
 *
 * <p>Threads are explicit on purpose: parallelism comes from batching inside one session, not
 * from many sessions each starting a default-sized pool (which oversubscribes the CPU).
 */
public final class RuntimeOptions {
    /** Intra-op threads when not set: the available processors, at most 4. */
    public static final int DEFAULT_INTRA_OP_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    /** Tokens (padded batch rows x padded length) one ONNX run may hold. */
    public static final int DEFAULT_MAX_BATCH_TOKENS = 8192;
    /** Rows one ONNX run may hold. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 32;

    private static final RuntimeOptions DEFAULTS = builder().build();

    private final int intraOpThreads;
    private final int interOpThreads;
    private final ExecutionProvider provider;
    private final boolean strictProvider;
    private final int maxBatchTokens;
    private final int maxBatchSize;

    private RuntimeOptions(Builder b) {
        this.intraOpThreads = b.intraOpThreads;
        this.interOpThreads = b.interOpThreads;
        this.provider = b.provider;
        this.strictProvider = b.strictProvider;
        this.maxBatchTokens = b.maxBatchTokens;
        this.maxBatchSize = b.maxBatchSize;
    }

    public static RuntimeOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int intraOpThreads() {
        return intraOpThreads;
    }

    public int interOpThreads() {
        return interOpThreads;
    }

    public ExecutionProvider provider() {
        return provider;
    }

    public boolean strictProvider() {
        return strictProvider;
    }

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** The part that decides whether two models may share one ONNX session. */
    String sessionKey() {
        return provider + "/" + (strictProvider ? "strict" : "fallback") + "/intra=" + intraOpThreads + "/inter=" + interOpThreads;
    }

    public Builder toBuilder() {
        return builder().intraOpThreads(intraOpThreads).interOpThreads(interOpThreads).provider(provider)
                .strictProvider(strictProvider).maxBatchTokens(maxBatchTokens).maxBatchSize(maxBatchSize);
    }

    @Override
    public String toString() {
        return "RuntimeOptions{provider=" + provider + ", strict=" + strictProvider + ", intraOpThreads=" + intraOpThreads
                + ", interOpThreads=" + interOpThreads + ", maxBatchTokens=" + maxBatchTokens + ", maxBatchSize=" + maxBatchSize + '}';
    }

    public static final class Builder {
        private int intraOpThreads = DEFAULT_INTRA_OP_THREADS;
        private int interOpThreads = 1;
        private ExecutionProvider provider = ExecutionProvider.cpu();
        private boolean strictProvider;
        private int maxBatchTokens = DEFAULT_MAX_BATCH_TOKENS;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;

        private Builder() {
        }

        public Builder intraOpThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + threads);
            }
            this.intraOpThreads = threads;
            return this;
        }

        public Builder interOpThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("interOpThreads must be >= 1, got " + threads);
            }
            this.interOpThreads = threads;
            return this;
        }

        public Builder provider(ExecutionProvider provider) {
            if (provider == null) {
                throw new NullPointerException("provider");
            }
            this.provider = provider;
            return this;
        }

        /** Fail with {@link dev.parapet.core.ModelLoadException} instead of falling back to CPU. */
        public Builder strictProvider(boolean strict) {
            this.strictProvider = strict;
            return this;
        }

        public Builder maxBatchTokens(int tokens) {
            if (tokens < 16) {
                throw new IllegalArgumentException("maxBatchTokens must be >= 16, got " + tokens);
            }
            this.maxBatchTokens = tokens;
            return this;
        }

        public Builder maxBatchSize(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + rows);
            }
            this.maxBatchSize = rows;
            return this;
        }

        public RuntimeOptions build() {
            return new RuntimeOptions(this);
        }
    }
}
