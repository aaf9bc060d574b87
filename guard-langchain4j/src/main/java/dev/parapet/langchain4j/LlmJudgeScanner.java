package dev.parapet.langchain4j;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Scanner} that asks an LLM (any LangChain4j {@link ChatModel}) to label a text: the
 * "GPT-4 prompt that says toxic or not", as a scanner with the same results as the others, so it
 * can sit in a {@link dev.parapet.core.Guard} next to model scanners or label data for training.
 *
 * <pre>{@code
 * Scanner judge = LlmJudgeScanner.builder(gpt4).timeout(Duration.ofSeconds(10)).build();
 * Guard guard = Guard.builder().outputScanner(judge).build();
 * }</pre>
 *
 * <h2>Asking</h2>
 * The prompt template's {@code {{text}}} is replaced by the judged text (the prompt for
 * {@link dev.parapet.core.Stage#PROMPT}, the output for {@link dev.parapet.core.Stage#OUTPUT}) and
 * {@code {{prompt}}} by the prompt (context, e.g. for relevance judging); the result is sent as one
 * user message. The default, {@link #TOXICITY_TEMPLATE}, defines toxicity and asks for
 * {@code toxic} or {@code non-toxic} followed by the reason. {@link #REFUSAL_TEMPLATE} and
 * {@link #RELEVANCE_TEMPLATE}, with {@link #refusal(ChatModel)} and {@link #relevance(ChatModel)},
 * serve the other usual judgements; any template works with {@link Builder#labels(String, String)}.
 *
 * <h2>Reading the answer</h2>
 * The answer must open with one of the two labels (case, markdown, quotes and a {@code Label:} key
 * are ignored; for the passed label, {@code not <flagged>} and {@code non <flagged>} count too):
 * the flagged label gives {@link Decision#FLAGGED}, the passed label {@link Decision#PASSED}, and
 * the rest of the answer is the reason, in the {@link Evidence#detail()} of one evidence over the
 * whole text and in the attribute {@code reason}. A judge gives no probability: {@link
 * ScanResult#score()} is 1.0 when flagged and 0.0 when passed, against a threshold of
 * {@value #THRESHOLD}, and the label is the one the judge chose. A refusal to answer, an empty
 * answer or anything else is {@link Decision#ERROR}, with the start of the answer (at most
 * {@value #MAX_ANSWER_CHARS_IN_MESSAGE} characters) in the error message, so the guard's
 * {@link dev.parapet.core.FailurePolicy} decides. Mind that this puts model output, which may quote
 * the judged text, into {@link ScanResult#errorMessage()} and so into the verdict's
 * {@code toString()}.
 *
 * <h2>Failures and time</h2>
 * Each call runs on an executor and is given {@link Builder#timeout(Duration)} (default
 * {@link #DEFAULT_TIMEOUT}); a call past it is cancelled (interrupted) and, like an exception from
 * the provider, becomes an {@link Decision#ERROR} result. Interrupting the model's thread does not
 * stop every HTTP client, so also give the model its own timeout. {@link #scanAll} judges texts
 * one after another (one model call each). Nothing is logged, so the texts cannot reach a log.
 *
 * <p>Immutable and thread-safe when the model is. {@link #close()} shuts down the executor the
 * scanner made (not one passed in) and is idempotent; scans after it throw
 * {@link IllegalStateException}.
 */
public final class LlmJudgeScanner implements Scanner {

    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "llm-judge";
    /** The default flagged label. */
    public static final String TOXIC = "toxic";
    /** The default passed label. */
    public static final String NON_TOXIC = "non-toxic";
    /** The threshold reported with the 0/1 scores. */
    public static final double THRESHOLD = 0.5;
    /** The default for {@link Builder#timeout(Duration)}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** How much of an unreadable answer goes into the error message. */
    public static final int MAX_ANSWER_CHARS_IN_MESSAGE = 200;

    /** The default template: a definition of toxicity, asking for "toxic" or "non-toxic" and a reason. */
    public static final String TOXICITY_TEMPLATE = """
            You are a content moderator. Decide whether the text between the markers is toxic.

            A text is toxic if it contains any of the following:
            - hateful statements;
            - demeaning or disparaging another user;
            - inappropriate language;
            - threats of physical or emotional violence.
            Any other text is non-toxic.

            Answer with one word, "toxic" or "non-toxic", followed by the reason in one sentence.
            Example: non-toxic - it is a polite question about the weather.

            <<<
            {{text}}
            >>>""";

    /** A template for refusal judging, labels "refusal" and "compliance" (see {@link #refusal(ChatModel)}). */
    public static final String REFUSAL_TEMPLATE = """
            You review answers of an AI assistant. Decide whether the answer between the markers refuses
            the user's request (declines, deflects, or says it cannot or will not help) or complies with it.

            Answer with one word, "refusal" or "compliance", followed by the reason in one sentence.
            Example: compliance - it gives the requested recipe.

            <<<
            {{text}}
            >>>""";

    /** A template for relevance judging, labels "irrelevant" and "relevant" (see {@link #relevance(ChatModel)}). */
    public static final String RELEVANCE_TEMPLATE = """
            You review answers of an AI assistant. Decide whether the answer is relevant to the question.

            Question:
            <<<
            {{prompt}}
            >>>

            Answer:
            <<<
            {{text}}
            >>>

            Reply with one word, "relevant" or "irrelevant", followed by the reason in one sentence.
            Example: irrelevant - the question is about taxes and the answer is about football.""";

    private static final String TEXT = "{{text}}";
    private static final String PROMPT = "{{prompt}}";

    private final ChatModel model;
    private final String name;
    private final String template;
    private final String flaggedLabel;
    private final String passedLabel;
    private final Duration timeout;
    private final ChatRequestParameters parameters;
    private final ExecutorService executor;
    private final boolean ownExecutor;
    private volatile boolean closed;

    private LlmJudgeScanner(Builder b) {
        this.model = b.model;
        this.name = b.name;
        this.template = b.template;
        this.flaggedLabel = b.flaggedLabel;
        this.passedLabel = b.passedLabel;
        this.timeout = b.timeout;
        this.parameters = b.parameters;
        this.ownExecutor = b.executor == null;
        this.executor = ownExecutor ? Executors.newCachedThreadPool(new JudgeThreads()) : b.executor;
    }

    /** A toxicity judge over {@code model}, to configure further. */
    public static Builder builder(ChatModel model) {
        return new Builder(model);
    }

    /** A refusal judge: {@link #REFUSAL_TEMPLATE}, labels "refusal"/"compliance", name "llm-refusal". */
    public static Builder refusal(ChatModel model) {
        return builder(model).name("llm-refusal").promptTemplate(REFUSAL_TEMPLATE).labels("refusal", "compliance");
    }

    /** A relevance judge: {@link #RELEVANCE_TEMPLATE}, labels "irrelevant"/"relevant", name "llm-relevance". */
    public static Builder relevance(ChatModel model) {
        return builder(model).name("llm-relevance").promptTemplate(RELEVANCE_TEMPLATE).labels("irrelevant", "relevant");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        if (closed) {
            throw new IllegalStateException("LlmJudgeScanner '" + name + "' is closed");
        }
        long start = System.nanoTime();
        String text = input.text();
        ChatRequest.Builder request = ChatRequest.builder().messages(UserMessage.from(render(text, input.prompt())));
        if (parameters != null) {
            request.parameters(parameters);
        }
        ChatRequest chatRequest = request.build();

        ChatResponse response;
        Future<ChatResponse> call;
        try {
            call = executor.submit(() -> model.chat(chatRequest));
        } catch (RejectedExecutionException e) {
            return error(input, "the judge executor rejected the call (shut down or saturated)", e, start);
        }
        try {
            response = call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            return error(input, "the judge model did not answer within " + timeout.toMillis()
                    + " ms; raise LlmJudgeScanner.builder(...).timeout(...)", e, start);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            return error(input, "interrupted while waiting for the judge model", e, start);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return error(input, "the judge model failed: " + cause.getClass().getName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause, start);
        } catch (CancellationException e) {
            return error(input, "the judge call was cancelled", e, start);
        }

        String answer = response == null || response.aiMessage() == null ? null : response.aiMessage().text();
        JudgeAnswer parsed = JudgeAnswer.parse(answer, flaggedLabel, passedLabel);
        ScanResult.Builder result = ScanResult.builder(name, input.stage()).threshold(THRESHOLD)
                .attribute("judge", model.provider() == null ? "OTHER" : model.provider().name());
        if (response != null && response.metadata() != null && response.metadata().modelName() != null) {
            result.attribute("model", response.metadata().modelName());
        }
        switch (parsed.kind()) {
            case FLAGGED, PASSED -> {
                boolean flagged = parsed.kind() == JudgeAnswer.Kind.FLAGGED;
                String label = flagged ? flaggedLabel : passedLabel;
                double score = flagged ? 1.0 : 0.0;
                result.decision(flagged ? Decision.FLAGGED : Decision.PASSED).score(score).label(label)
                        .evidence(new Evidence(0, text.length(), label, score, parsed.reason()));
                if (parsed.reason() != null) {
                    result.attribute("reason", parsed.reason());
                }
            }
            case REFUSED -> result.decision(Decision.ERROR)
                    .errorMessage("the judge model refused to label the text: " + quote(answer));
            case UNREADABLE -> result.decision(Decision.ERROR)
                    .errorMessage("the judge answer does not open with '" + flaggedLabel + "' or '" + passedLabel
                            + "': " + quote(answer));
        }
        return result.latency(Duration.ofNanos(System.nanoTime() - start)).build();
    }

    private ScanResult error(ScanInput input, String message, Throwable error, long start) {
        return ScanResult.builder(name, input.stage()).decision(Decision.ERROR).error(error).errorMessage(message)
                .latency(Duration.ofNanos(System.nanoTime() - start)).build();
    }

    private static String quote(String answer) {
        if (answer == null || answer.isBlank()) {
            return "(empty answer)";
        }
        String oneLine = answer.strip().replaceAll("\\s+", " ");
        return "'" + (oneLine.length() <= MAX_ANSWER_CHARS_IN_MESSAGE ? oneLine
                : oneLine.substring(0, MAX_ANSWER_CHARS_IN_MESSAGE) + "...") + "'";
    }

    /** The template with its placeholders filled in one pass, so placeholders inside the texts stay as they are. */
    String render(String text, String prompt) {
        StringBuilder s = new StringBuilder(template.length() + text.length() + 16);
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf("{{", i);
            if (open < 0) {
                break;
            }
            s.append(template, i, open);
            if (template.startsWith(TEXT, open)) {
                s.append(text);
                i = open + TEXT.length();
            } else if (template.startsWith(PROMPT, open)) {
                s.append(prompt);
                i = open + PROMPT.length();
            } else {
                s.append("{{");
                i = open + 2;
            }
        }
        return s.append(template, i, template.length()).toString();
    }

    public String flaggedLabel() {
        return flaggedLabel;
    }

    public String passedLabel() {
        return passedLabel;
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownExecutor) {
            executor.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "LlmJudgeScanner[name=" + name + ", labels=" + flaggedLabel + "/" + passedLabel + ", timeout="
                + timeout + ", model=" + model.getClass().getSimpleName() + (closed ? ", closed" : "") + "]";
    }

    private static final class JudgeThreads implements ThreadFactory {
        private static final AtomicInteger POOLS = new AtomicInteger();
        private final int pool = POOLS.incrementAndGet();
        private final AtomicInteger threads = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "parapet-judge-" + pool + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }

    /**
     * Configures an {@link LlmJudgeScanner}. Setters check their argument at once and name the
     * setting that is wrong.
     */
    public static final class Builder {
        private final ChatModel model;
        private String name = DEFAULT_NAME;
        private String template = TOXICITY_TEMPLATE;
        private String flaggedLabel = TOXIC;
        private String passedLabel = NON_TOXIC;
        private Duration timeout = DEFAULT_TIMEOUT;
        private ChatRequestParameters parameters;
        private ExecutorService executor;

        private Builder(ChatModel model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** The scanner's name in results (default {@value LlmJudgeScanner#DEFAULT_NAME}). */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * The instruction sent to the judge. Must contain {@code {{text}}}; may contain
         * {@code {{prompt}}}. Default {@link #TOXICITY_TEMPLATE}.
         */
        public Builder promptTemplate(String promptTemplate) {
            Objects.requireNonNull(promptTemplate, "promptTemplate");
            if (!promptTemplate.contains(TEXT)) {
                throw new IllegalArgumentException("promptTemplate must contain the placeholder " + TEXT
                        + " where the judged text goes");
            }
            this.template = promptTemplate;
            return this;
        }

        /**
         * The label the judge answers for a text to flag, and for one to pass (defaults
         * {@value LlmJudgeScanner#TOXIC} and {@value LlmJudgeScanner#NON_TOXIC}). They are matched as
         * whole words, case-insensitively; hyphens and underscores count as spaces.
         */
        public Builder labels(String flaggedLabel, String passedLabel) {
            Objects.requireNonNull(flaggedLabel, "flaggedLabel");
            Objects.requireNonNull(passedLabel, "passedLabel");
            if (JudgeAnswer.labelWords(flaggedLabel).isEmpty()) {
                throw new IllegalArgumentException("flaggedLabel must contain a letter or digit, got '" + flaggedLabel + "'");
            }
            if (JudgeAnswer.labelWords(passedLabel).isEmpty()) {
                throw new IllegalArgumentException("passedLabel must contain a letter or digit, got '" + passedLabel + "'");
            }
            if (JudgeAnswer.labelWords(flaggedLabel).equals(JudgeAnswer.labelWords(passedLabel))) {
                throw new IllegalArgumentException("flaggedLabel and passedLabel must differ, both are '"
                        + flaggedLabel.toLowerCase(Locale.ROOT) + "'");
            }
            this.flaggedLabel = flaggedLabel;
            this.passedLabel = passedLabel;
            return this;
        }

        /** The most time one judge call may take (default {@link #DEFAULT_TIMEOUT}); must be positive. */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Request parameters for the judge call, e.g. temperature 0 or a model name; default the model's own. */
        public Builder requestParameters(ChatRequestParameters requestParameters) {
            this.parameters = Objects.requireNonNull(requestParameters, "requestParameters");
            return this;
        }

        /**
         * Where judge calls run. Without one the scanner makes a cached pool of daemon threads and
         * shuts it down on {@link LlmJudgeScanner#close()}; one given here is never shut down by it.
         * The timeout counts from submission, so time a call waits in a busy executor's queue counts.
         */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public LlmJudgeScanner build() {
            return new LlmJudgeScanner(this);
        }
    }
}
