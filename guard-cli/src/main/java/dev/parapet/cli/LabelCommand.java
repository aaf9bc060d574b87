package dev.parapet.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.output.TokenUsage;
import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.langchain4j.LlmJudgeScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code parapet label}: label a dataset once with a big LLM judge through any OpenAI-compatible
 * chat endpoint, to train a small head on the result. Rows are appended to the output as they are
 * done, each with its label, the judge's reason and its input line, so a run that stops is resumed
 * by running the same command again.
 */
@Command(name = "label",
        mixinStandardHelpOptions = true,
        versionProvider = Parapet.Version.class,
        description = {"Label rows (JSON Lines or CSV) with an LLM judge through an OpenAI-compatible chat-completions endpoint "
                + "(--base-url, --model, the key from the environment variable --api-key-env): 'label with a big model once, train "
                + "a small one' (then: parapet train --data OUTPUT).",
                "Each output row is the input row plus the label (--label-field), the judge's reason (--reason-field), "
                        + "label_model and input_row (the row's line in the input). The output is appended to as rows finish; "
                        + "rows already there are skipped, so rerunning the same command resumes. Calls run --concurrency at a "
                        + "time, at most --rate per second, and are retried with exponential backoff on rate limits, server "
                        + "errors and timeouts. Token usage and an estimated cost (--price-per-1k-input/-output) are summed at the end."},
        footerHeading = "%nExamples:%n",
        footer = {"  export OPENAI_API_KEY=sk-...",
                "  parapet label --task toxicity --input unlabelled.jsonl \\",
                "      --output labelled.jsonl --model gpt-4o-mini --concurrency 8 --rate 5 \\",
                "      --price-per-1k-input 0.00015 --price-per-1k-output 0.0006",
                "  parapet label --task refusal --input chats.csv --output refusal.jsonl \\",
                "      --base-url http://localhost:8000/v1 --model llama3"})
final class LabelCommand implements Callable<Integer>, Parapet.HasCommonOptions {
    @ParentCommand
    Parapet root;

    @Mixin
    CommonOptions common;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE", description = "Rows to label: JSON Lines, or .csv/.tsv with a header.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "JSON Lines output, appended to (resumable).")
    Path output;

    @Option(names = {"-t", "--task"}, paramLabel = "TASK", defaultValue = "toxicity",
            description = "toxicity (labels toxic/non-toxic, reads text) or refusal (labels refusal/compliance, reads response with its prompt) (default: ${DEFAULT-VALUE}).")
    Task task;

    @Option(names = "--template", paramLabel = "FILE", description = "Your own judge instruction with {{text}} (and optionally {{prompt}}); needs --labels.")
    Path template;

    @Option(names = "--labels", paramLabel = "FLAGGED,PASSED", description = "With --template: the two labels the judge answers with.")
    String labels;

    @Option(names = "--text-field", paramLabel = "NAME", description = "Field with the text to judge (default: text for toxicity, response for refusal).")
    String textField;

    @Option(names = "--prompt-field", paramLabel = "NAME", defaultValue = "prompt", description = "Field with the prompt, for {{prompt}} (default: ${DEFAULT-VALUE}).")
    String promptField;

    @Option(names = "--label-field", paramLabel = "NAME", defaultValue = "label", description = "Output field for the label (default: ${DEFAULT-VALUE}).")
    String labelField;

    @Option(names = "--reason-field", paramLabel = "NAME", defaultValue = "label_reason", description = "Output field for the judge's reason (default: ${DEFAULT-VALUE}).")
    String reasonField;

    @Option(names = "--base-url", paramLabel = "URL", defaultValue = Judges.DEFAULT_BASE_URL, description = "OpenAI-compatible endpoint (default: ${DEFAULT-VALUE}).")
    String baseUrl;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "NAME", description = "The judge model, e.g. gpt-4o-mini.")
    String model;

    @Option(names = "--api-key-env", paramLabel = "VAR", defaultValue = Judges.DEFAULT_KEY_VARIABLE,
            description = "Environment variable holding the API key (default: ${DEFAULT-VALUE}).")
    String apiKeyEnv;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "4", description = "Calls in flight at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "0", description = "At most this many calls start per second; 0: no limit (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--max-retries", paramLabel = "N", defaultValue = "5", description = "Retries of a failed call (default: ${DEFAULT-VALUE}).")
    int maxRetries;

    @Option(names = "--retry-base-ms", paramLabel = "MS", defaultValue = "1000",
            description = "First backoff; it doubles per retry, with jitter, up to 60 s (default: ${DEFAULT-VALUE}).")
    long retryBaseMs;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60", description = "Time limit of one call (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--price-per-1k-input", paramLabel = "USD", defaultValue = "0", description = "Price of 1,000 input tokens, for the cost estimate.")
    double priceInput;

    @Option(names = "--price-per-1k-output", paramLabel = "USD", defaultValue = "0", description = "Price of 1,000 output tokens, for the cost estimate.")
    double priceOutput;

    @Option(names = "--limit", paramLabel = "N", description = "Consider only the first N input rows.")
    Integer limit;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Override
    public CommonOptions common() {
        return common;
    }

    /** What to do after a failed call. */
    enum Next { RETRY, GIVE_UP_ROW, STOP_ALL }

    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicLong inputTokens = new AtomicLong();
    private final AtomicLong outputTokens = new AtomicLong();
    private final AtomicInteger callsWithoutUsage = new AtomicInteger();
    private final Map<String, Integer> counts = new TreeMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<String> fatal = new AtomicReference<>();
    private final AtomicReference<String> lastError = new AtomicReference<>();

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1 || maxRetries < 0 || retryBaseMs < 0 || timeout < 1 || rate < 0 || priceInput < 0 || priceOutput < 0) {
            throw new CliException("--concurrency and --timeout must be at least 1; --max-retries, --retry-base-ms, --rate and prices at least 0");
        }
        if (limit != null && limit < 1) {
            throw new CliException("--limit must be at least 1, got " + limit);
        }
        String instruction;
        String flagged;
        String passed;
        if (template != null) {
            if (labels == null || labels.split(",").length != 2) {
                throw new CliException("--template needs --labels FLAGGED,PASSED (e.g. --labels toxic,non-toxic)");
            }
            if (!Files.isRegularFile(template)) {
                throw new CliException("template file " + template + " does not exist");
            }
            instruction = Files.readString(template, StandardCharsets.UTF_8);
            flagged = labels.split(",")[0].strip();
            passed = labels.split(",")[1].strip();
        } else {
            if (labels != null) {
                throw new CliException("--labels goes with --template; the " + task.id() + " task answers " + task.positive + "/" + task.negative);
            }
            switch (task) {
                case TOXICITY -> instruction = LlmJudgeScanner.TOXICITY_TEMPLATE;
                case REFUSAL -> instruction = LlmJudgeScanner.REFUSAL_TEMPLATE;
                default -> throw new CliException("label judges single texts: --task toxicity or refusal (or --template)");
            }
            flagged = task.positive;
            passed = task.negative;
        }
        String textName = textField != null ? textField : task == Task.REFUSAL ? "response" : "text";
        // checks the template and labels now, with their own messages
        LlmJudgeScanner.Builder check = LlmJudgeScanner.builder(new ChatModel() { })
                .promptTemplate(instruction).labels(flagged, passed);
        check.build().close();

        List<Records.Row> rows = Records.read(input, limit == null ? Integer.MAX_VALUE : limit);
        if (rows.isEmpty()) {
            throw new CliException("input file " + input + " has no rows");
        }
        for (Records.Row r : rows) {
            r.require(textName);
        }
        Set<Integer> done = done(output);
        List<Records.Row> todo = rows.stream().filter(r -> !done.contains(r.line())).toList();
        int skipped = rows.size() - todo.size();
        long start = System.nanoTime();
        if (!todo.isEmpty()) {
            String key = Judges.apiKey(root.env, apiKeyEnv);
            ChatModel chat = Judges.openAi(baseUrl, model, key, Duration.ofSeconds(timeout), temperature);
            run(todo, chat, instruction, flagged, passed, textName);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        summary(rows.size(), todo.size(), skipped, seconds);
        if (fatal.get() != null) {
            throw new CliException("the judge endpoint refused the request, stopped: " + fatal.get());
        }
        if (failed.get() > 0) {
            throw new CliException(failed.get() + " of " + todo.size() + " rows failed after up to " + (maxRetries + 1)
                    + " attempts (last error: " + lastError.get() + "); rerun the same command to retry them", ExitCodes.INTERNAL, null);
        }
        return ExitCodes.OK;
    }

    /** The input lines already in the output (its rows' {@code input_row}). */
    private Set<Integer> done(Path file) throws IOException {
        Set<Integer> done = new HashSet<>();
        if (!Files.exists(file)) {
            return done;
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String s;
            int line = 0;
            while ((s = r.readLine()) != null) {
                line++;
                if (s.isBlank()) {
                    continue;
                }
                JsonElement e;
                try {
                    e = JsonParser.parseString(s);
                } catch (RuntimeException ex) {
                    // a run killed in the middle of a write leaves a torn last line: that row is simply redone
                    continue;
                }
                if (!e.isJsonObject() || !e.getAsJsonObject().has("input_row")) {
                    throw new CliException(file + ":" + line + ": not a row written by parapet label (no input_row); "
                            + "choose another --output");
                }
                done.add(e.getAsJsonObject().get("input_row").getAsInt());
            }
        }
        return done;
    }

    private void run(List<Records.Row> todo, ChatModel chat, String instruction, String flagged, String passed, String textName)
            throws IOException, InterruptedException {
        if (output.toAbsolutePath().getParent() != null) {
            Files.createDirectories(output.toAbsolutePath().getParent());
        }
        RateLimiter limiter = new RateLimiter(rate);
        ExecutorService workers = Executors.newFixedThreadPool(concurrency, daemon("parapet-label"));
        // the judge's own call threads; the workers bound how many are busy
        ExecutorService callThreads = Executors.newCachedThreadPool(daemon("parapet-label-call"));
        try (BufferedWriter writer = Files.newBufferedWriter(output, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
             Progress progress = Progress.start(root.err, "label", todo.size(), "rows", !common.noProgress, 1)) {
            ensureNewline(writer);
            for (Records.Row row : todo) {
                workers.submit(() -> {
                    try {
                        labelRow(row, chat, instruction, flagged, passed, textName, limiter, callThreads, writer);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (IOException e) {
                        fatal.compareAndSet(null, "cannot write " + output + ": " + e.getMessage());
                        stop.set(true);
                    } catch (RuntimeException e) {
                        lastError.set(e.getClass().getSimpleName() + ": " + e.getMessage());
                        failed.incrementAndGet();
                    } finally {
                        progress.step();
                        if (retries.get() > 0) {
                            progress.extra(retries.get() + " retries");
                        }
                    }
                });
            }
            workers.shutdown();
            while (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                // waiting for the rows in flight
            }
        } finally {
            workers.shutdownNow();
            callThreads.shutdownNow();
        }
    }

    /** A file whose last line lacks its newline (a killed run) gets one, so appended rows start on their own line. */
    private void ensureNewline(BufferedWriter writer) throws IOException {
        if (Files.size(output) > 0) {
            byte[] all = Files.readAllBytes(output);
            if (all[all.length - 1] != '\n') {
                writer.write('\n');
                writer.flush();
            }
        }
    }

    private void labelRow(Records.Row row, ChatModel chat, String instruction, String flagged, String passed, String textName,
                          RateLimiter limiter, ExecutorService callThreads, BufferedWriter writer) throws IOException, InterruptedException {
        String prompt = row.get(promptField);
        ScanInput in = ScanInput.output(prompt == null ? "" : prompt, row.require(textName));
        for (int attempt = 0; attempt <= maxRetries && !stop.get(); attempt++) {
            if (attempt > 0) {
                retries.incrementAndGet();
                Thread.sleep(backoffMillis(attempt));
            }
            limiter.acquire();
            if (stop.get()) {
                return;
            }
            UsageRecordingChatModel recorder = new UsageRecordingChatModel(chat);
            ScanResult r;
            try (LlmJudgeScanner judge = LlmJudgeScanner.builder(recorder).name("label").promptTemplate(instruction)
                    .labels(flagged, passed).timeout(Duration.ofSeconds(timeout)).executor(callThreads).build()) {
                r = judge.scan(in);
            }
            calls.incrementAndGet();
            TokenUsage u = recorder.usage();
            if (u != null && u.inputTokenCount() != null) {
                inputTokens.addAndGet(u.inputTokenCount());
                outputTokens.addAndGet(u.outputTokenCount() == null ? 0 : u.outputTokenCount());
            } else if (r.decision() != Decision.ERROR) {
                callsWithoutUsage.incrementAndGet();
            }
            if (r.decision() == Decision.FLAGGED || r.decision() == Decision.PASSED) {
                write(writer, row, r);
                return;
            }
            lastError.set(Format.abbreviate(r.errorMessage() == null ? "unknown error" : r.errorMessage(), 300));
            Next next = next(r.error());
            if (next == Next.STOP_ALL) {
                fatal.compareAndSet(null, lastError.get());
                stop.set(true);
                return;
            }
            if (next == Next.GIVE_UP_ROW) {
                break;
            }
        }
        if (!stop.get()) {
            failed.incrementAndGet();
        }
    }

    /**
     * Retry rate limits (429), server errors (5xx), timeouts, dropped connections and unreadable answers; give up
     * a row the endpoint rejects (other 4xx, e.g. a content filter); stop everything when the key, the model or
     * the server name is wrong (401, 403, 404, unknown host), since every other row would fail the same way.
     */
    static Next next(Throwable error) {
        if (error == null) {
            return Next.RETRY; // an answer without a label: models vary, ask again
        }
        if (error instanceof AuthenticationException || error instanceof ModelNotFoundException
                || error instanceof UnresolvedModelServerException) {
            return Next.STOP_ALL;
        }
        if (error instanceof RetriableException) {
            return Next.RETRY;
        }
        if (error instanceof HttpException h) {
            int s = h.statusCode();
            if (s == 401 || s == 403 || s == 404) {
                return Next.STOP_ALL;
            }
            return s == 408 || s == 429 || s >= 500 ? Next.RETRY : Next.GIVE_UP_ROW;
        }
        if (error instanceof NonRetriableException) {
            return Next.GIVE_UP_ROW;
        }
        return Next.RETRY;
    }

    private long backoffMillis(int attempt) {
        double base = retryBaseMs * Math.pow(2, attempt - 1);
        double capped = Math.min(60_000, base);
        return (long) (capped * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5));
    }

    private void write(BufferedWriter writer, Records.Row row, ScanResult r) throws IOException {
        JsonObject o = row.json().deepCopy();
        o.addProperty(labelField, r.label());
        o.add(reasonField, Json.str(r.attributes().get("reason")));
        o.addProperty("label_model", r.attributes().getOrDefault("model", model));
        o.addProperty("input_row", row.line());
        String line = Json.write(o);
        synchronized (writer) {
            writer.write(line);
            writer.write('\n');
            writer.flush();
        }
        synchronized (counts) {
            counts.merge(r.label(), 1, Integer::sum);
        }
    }

    private void summary(int rows, int todo, int skipped, double seconds) {
        PrintStream out = root.out;
        long in = inputTokens.get();
        long outTok = outputTokens.get();
        double cost = in / 1000.0 * priceInput + outTok / 1000.0 * priceOutput;
        int labelled = counts.values().stream().mapToInt(Integer::intValue).sum();
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("input", input.toString());
            j.addProperty("output", output.toString());
            j.addProperty("model", model);
            j.addProperty("base_url", baseUrl);
            j.addProperty("rows", rows);
            j.addProperty("labelled", labelled);
            j.addProperty("skipped", skipped);
            j.addProperty("failed", failed.get());
            JsonObject c = new JsonObject();
            counts.forEach(c::addProperty);
            j.add("labels", c);
            j.addProperty("calls", calls.get());
            j.addProperty("retries", retries.get());
            j.addProperty("input_tokens", in);
            j.addProperty("output_tokens", outTok);
            j.add("estimated_cost_usd", priceInput > 0 || priceOutput > 0 ? Json.num(cost) : Json.str(null));
            j.add("seconds", Json.num(seconds));
            out.println(Json.write(j));
            return;
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> parts.add(k + " " + v));
        out.printf(Locale.ROOT, "labelled %s of %s rows with %s at %s%s%n", Format.count(labelled), Format.count(rows), model, baseUrl,
                parts.isEmpty() ? "" : ": " + String.join(", ", parts));
        if (skipped > 0) {
            out.printf(Locale.ROOT, "skipped %s rows already in %s%n", Format.count(skipped), output);
        }
        if (failed.get() > 0) {
            out.printf(Locale.ROOT, "failed %s rows (rerun to retry them)%n", Format.count(failed.get()));
        }
        out.printf(Locale.ROOT, "calls %s (%s retries); tokens %s input + %s output = %s%s%n", Format.count(calls.get()),
                Format.count(retries.get()), Format.count(in), Format.count(outTok), Format.count(in + outTok),
                callsWithoutUsage.get() > 0 ? " (" + callsWithoutUsage.get() + " answers carried no usage)" : "");
        if (priceInput > 0 || priceOutput > 0) {
            out.printf(Locale.ROOT, "estimated cost $%s (at $%s per 1k input and $%s per 1k output tokens)%n",
                    String.format(Locale.ROOT, cost < 0.01 ? "%.6f" : "%.4f", cost), plain(priceInput), plain(priceOutput));
        } else {
            out.println("estimated cost: give --price-per-1k-input and --price-per-1k-output");
        }
        out.printf(Locale.ROOT, "%s: %s in %s (%.1f rows/s)%n", output, todo == 0 ? "nothing to do" : Format.count(labelled) + " rows appended",
                Format.duration(seconds), labelled / Math.max(seconds, 1e-9));
    }

    private static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
