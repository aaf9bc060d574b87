/**
 * Parapet for LangChain4j (1.19): guards around models, guardrails for AI services, and an LLM
 * judge as a scanner.
 *
 * <ul>
 *   <li>{@link dev.parapet.langchain4j.GuardedChatModel} and
 *       {@link dev.parapet.langchain4j.GuardedStreamingChatModel}: decorators that judge the last
 *       user message before the call and the answer after it (a stream sentence by sentence,
 *       stopped at the first block); a block throws
 *       {@link dev.parapet.langchain4j.GuardrailBlockedException} or answers with a refusal
 *       ({@link dev.parapet.langchain4j.BlockMode}).</li>
 *   <li>{@link dev.parapet.langchain4j.ParapetInputGuardrail} and
 *       {@link dev.parapet.langchain4j.ParapetOutputGuardrail}: LangChain4j
 *       {@code InputGuardrail}/{@code OutputGuardrail} implementations over one shared
 *       {@link dev.parapet.core.Guard}; register instances. Output blocks map to fatal, retry or
 *       reprompt per scanner ({@link dev.parapet.langchain4j.OutputBlockAction}).</li>
 *   <li>{@link dev.parapet.langchain4j.LlmJudgeScanner}: any {@code ChatModel} as a
 *       {@link dev.parapet.core.Scanner} labelling texts toxic/non-toxic (or refusal, relevance,
 *       anything with two labels).</li>
 * </ul>
 *
 * Nothing here logs prompt or output text above DEBUG, and at DEBUG only verdicts, which omit it.
 */
package dev.parapet.langchain4j;
