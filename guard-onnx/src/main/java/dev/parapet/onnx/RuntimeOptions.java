package dev.parapet.onnx;

/**
 * How a model runs: threads, execution provider and batch packing. Immutable; build with
 * {@link #builder()}. Setters validate at once and name the setting.
 *
 * <p>Threads are explicit on purpose: parallelism comes from batching inside one session, not
 * from many sessions each starting a default-sized pool (which oversubscribes the CPU).
 */
public final class RuntimeOptions {
    /**
     * Intra-op threads when not set: 1. Measured on 2 vCPUs (docs/benchmarks.md, "Choosing the
     * defaults"): a run on one thread does the same work for less CPU than on two (no spinning,
     * no hand-offs) and suffers far less when other processes share the cores; a call with several
     * batches keeps the other cores busy through {@link #parallelRuns()} instead.
     */
    public static final int DEFAULT_INTRA_OP_THREADS = 1;
    /**
     * Tokens (padded batch rows x padded length) one ONNX run may hold: 512, two full 256-token
     * windows or some twenty short texts. Measured on 2 vCPUs (docs/benchmarks.md, "Choosing the
     * defaults"): larger runs cost more CPU per token (their activations outgrow the caches), and
     * below about 256 tokens the fixed cost of a run starts to show.
     */
    public static final int DEFAULT_MAX_BATCH_TOKENS = 512;
    /** Rows one ONNX run may hold. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 32;
    /**
     * Padding one ONNX run may carry, as a fraction of its real tokens: a row that would push a
     * batch past it starts a new run (see docs/benchmarks.md, "Batch packing").
     */
    public static final double DEFAULT_MAX_PADDING_FRACTION = 0.1;
    /** Batches of coalesced calls that may run at once when micro-batching is on and lanes are not set. */
    public static final int DEFAULT_MICRO_BATCH_LANES = 1;

    private static final RuntimeOptions DEFAULTS = builder().build();

    private final int intraOpThreads;
    private final int interOpThreads;
    private final ExecutionProvider provider;
    private final boolean strictProvider;
    private final boolean cudaTf32;
    private final int maxBatchTokens;
    private final int maxBatchSize;
    private final double maxPaddingFraction;
    private final boolean batchAcrossTexts;
    /** As set; 0 for "the available processors divided by the intra-op threads". */
    private final int parallelRuns;
    private final java.time.Duration microBatchWait;
    private final int microBatchLanes;

    private RuntimeOptions(Builder b) {
        this.intraOpThreads = b.intraOpThreads;
        this.interOpThreads = b.interOpThreads;
        this.provider = b.provider;
        this.strictProvider = b.strictProvider;
        this.cudaTf32 = b.cudaTf32;
        this.maxBatchTokens = b.maxBatchTokens;
        this.maxBatchSize = b.maxBatchSize;
        this.maxPaddingFraction = b.maxPaddingFraction;
        this.batchAcrossTexts = b.batchAcrossTexts;
        this.parallelRuns = b.parallelRuns;
        this.microBatchWait = b.microBatchWait;
        this.microBatchLanes = b.microBatchLanes;
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

    /** Whether float matrix products on CUDA may use TF32 tensor cores; see {@link Builder#cudaTf32(boolean)}. */
    public boolean cudaTf32() {
        return cudaTf32;
    }

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    public double maxPaddingFraction() {
        return maxPaddingFraction;
    }

    /**
     * Whether windows of different texts of one call may share an ONNX run (false by default: see
     * {@link Builder#batchAcrossTexts(boolean)}).
     */
    public boolean batchAcrossTexts() {
        return batchAcrossTexts;
    }

    /** ONNX runs one call may have in flight at once (its batches on the caller and helper threads). */
    public int parallelRuns() {
        return parallelRuns > 0 ? parallelRuns : Math.max(1, Runtime.getRuntime().availableProcessors() / intraOpThreads);
    }

    /** Whether concurrent calls of an encoder are coalesced into batches ({@link Builder#microBatching}). */
    public boolean microBatching() {
        return microBatchWait != null;
    }

    /** How long a call may wait for companions when micro-batching; {@code null} when it is off. */
    public java.time.Duration microBatchWait() {
        return microBatchWait;
    }

    public int microBatchLanes() {
        return microBatchLanes;
    }

    /** The part that decides whether two models may share one ONNX session. */
    String sessionKey() {
        return provider + "/" + (strictProvider ? "strict" : "fallback") + "/intra=" + intraOpThreads + "/inter=" + interOpThreads
                + (provider.kind() == ExecutionProvider.Kind.CUDA && cudaTf32 ? "/tf32" : "");
    }

    public Builder toBuilder() {
        return builder().intraOpThreads(intraOpThreads).interOpThreads(interOpThreads).provider(provider)
                .strictProvider(strictProvider).cudaTf32(cudaTf32).maxBatchTokens(maxBatchTokens).maxBatchSize(maxBatchSize)
                .maxPaddingFraction(maxPaddingFraction).batchAcrossTexts(batchAcrossTexts).parallelRunsSetting(parallelRuns)
                .microBatching(microBatchWait).microBatchLanes(microBatchLanes);
    }

    @Override
    public String toString() {
        return "RuntimeOptions{provider=" + provider + ", strict=" + strictProvider
                + (provider.kind() == ExecutionProvider.Kind.CUDA ? ", cudaTf32=" + cudaTf32 : "") + ", intraOpThreads=" + intraOpThreads
                + ", interOpThreads=" + interOpThreads + ", maxBatchTokens=" + maxBatchTokens + ", maxBatchSize=" + maxBatchSize
                + ", maxPaddingFraction=" + maxPaddingFraction + ", batchAcrossTexts=" + batchAcrossTexts + ", parallelRuns=" + parallelRuns()
                + ", microBatchWait=" + microBatchWait + ", microBatchLanes=" + microBatchLanes + '}';
    }

    public static final class Builder {
        private int intraOpThreads = DEFAULT_INTRA_OP_THREADS;
        private int interOpThreads = 1;
        private ExecutionProvider provider = ExecutionProvider.cpu();
        private boolean strictProvider;
        private boolean cudaTf32;
        private int maxBatchTokens = DEFAULT_MAX_BATCH_TOKENS;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private double maxPaddingFraction = DEFAULT_MAX_PADDING_FRACTION;
        private boolean batchAcrossTexts;
        /** 0: the available processors divided by the intra-op threads, at least 1. */
        private int parallelRuns;
        private java.time.Duration microBatchWait;
        private int microBatchLanes = DEFAULT_MICRO_BATCH_LANES;

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

        /**
         * Let float matrix products on CUDA use TF32 tensor cores (ONNX Runtime's {@code use_tf32}).
         * Off by default: the default models' thresholds were chosen on full float32 arithmetic,
         * and TF32 moves their scores (docs/gpu.md measures by how much). Ignored on the CPU.
         */
        public Builder cudaTf32(boolean tf32) {
            this.cudaTf32 = tf32;
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

        /**
         * Padding a batch may carry as a fraction of its real tokens, {@code >= 0} (default 0.1);
         * {@code Double.POSITIVE_INFINITY} packs by {@code maxBatchSize} and {@code maxBatchTokens} only.
         */
        public Builder maxPaddingFraction(double fraction) {
            if (!(fraction >= 0)) {
                throw new IllegalArgumentException("maxPaddingFraction must be >= 0, got " + fraction);
            }
            this.maxPaddingFraction = fraction;
            return this;
        }

        /**
         * Whether the windows of different texts of one call may share an ONNX run. Off by default:
         * each text's windows then run on their own, so a text's scores are a function of the text
         * alone, identical whichever call, batch or companions it came with. The shipped encoders
         * are dynamically quantized (one activation scale per run), so with this on a text's scores
         * shift slightly with the other texts of its run (see docs/design-notes.md); in exchange,
         * a call of many short texts needs fewer runs (docs/benchmarks.md measures both). Turn it on
         * with {@link #microBatching} when coalesced callers should share runs.
         */
        public Builder batchAcrossTexts(boolean across) {
            this.batchAcrossTexts = across;
            return this;
        }

        /**
         * ONNX runs one call may have in flight at once, at least 1; default: the available
         * processors divided by {@code intraOpThreads}. A call whose texts fill several batches runs
         * them on this many threads (the caller and helpers), each run on {@code intraOpThreads}.
         */
        public Builder parallelRuns(int runs) {
            if (runs < 1) {
                throw new IllegalArgumentException("parallelRuns must be >= 1, got " + runs);
            }
            this.parallelRuns = runs;
            return this;
        }

        /** Keeps "not set" (0) as not set, so toBuilder().intraOpThreads(n) recomputes the default. */
        private Builder parallelRunsSetting(int runs) {
            this.parallelRuns = runs;
            return this;
        }

        /**
         * Coalesces concurrent calls of an encoder into batches of at most {@code maxBatchSize}
         * texts (a {@link MicroBatcher}), a call waiting at most {@code maxWait} for companions; a
         * lone caller runs at once. {@code null} turns it off (the default). Caveat: the encoders
         * are dynamically quantized, so a text's scores then shift slightly with what other
         * callers sent at the same moment (see {@link MicroBatcher}).
         */
        public Builder microBatching(java.time.Duration maxWait) {
            if (maxWait != null && (maxWait.isNegative() || maxWait.compareTo(MicroBatcher.MAX_MAX_WAIT) > 0)) {
                throw new IllegalArgumentException("microBatching maxWait must be in [0, " + MicroBatcher.MAX_MAX_WAIT.toMillis()
                        + " ms] or null for off, got " + maxWait);
            }
            this.microBatchWait = maxWait;
            return this;
        }

        /** Batches of coalesced calls that may run at once (default 1); one per core with one intra-op thread. */
        public Builder microBatchLanes(int lanes) {
            if (lanes < 1) {
                throw new IllegalArgumentException("microBatchLanes must be >= 1, got " + lanes);
            }
            this.microBatchLanes = lanes;
            return this;
        }

        public RuntimeOptions build() {
            return new RuntimeOptions(this);
        }
    }
}
