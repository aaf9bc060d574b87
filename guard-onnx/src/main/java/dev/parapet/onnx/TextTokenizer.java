package dev.parapet.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.util.PairList;
import dev.parapet.core.ModelLoadException;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * DJL's Hugging Face tokenizer, configured for overlapping windows: texts longer than the model's
 * window come back as several windows (DJL's overflow with a stride) instead of being cut.
 *
 * <p>Padding and truncation baked into a {@code tokenizer.json} are overridden (the MiniLM file
 * pads every text to 128 tokens): padding happens per batch, later. DJL reports token spans in
 * Unicode code points; they are converted here to the UTF-16 offsets Java strings use.
 */
final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer single;
    private final HuggingFaceTokenizer pair;
    private final HuggingFaceTokenizer plain;
    private final int maxLength;
    private final int stride;
    private final String name;
    /** Longest first text (in tokens, no specials) a pair may carry; longer ones keep their end. */
    private final int maxFirstTokens;

    private TextTokenizer(HuggingFaceTokenizer single, HuggingFaceTokenizer pair, HuggingFaceTokenizer plain,
                          int maxLength, int stride, String name) {
        this.single = single;
        this.pair = pair;
        this.plain = plain;
        this.maxLength = maxLength;
        this.stride = stride;
        this.name = name;
        int pairSpecials = plain.encode("", "").getIds().length;
        // The second text needs more room than the stride, or the Rust tokenizer panics (and a
        // panic across JNI aborts the JVM); half the window keeps the judged text dominant.
        this.maxFirstTokens = Math.min((maxLength - pairSpecials) / 2, maxLength - pairSpecials - stride - 4);
    }

    static TextTokenizer load(ModelSource source, int maxLength, int stride) {
        NativeDefaults.apply();
        byte[] json;
        try (InputStream in = source.openTokenizer()) {
            json = in.readAllBytes();
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + source.tokenizerName() + ": " + e.getMessage(), e);
        }
        HuggingFaceTokenizer single = create(json, "longest_first", maxLength, stride, source.tokenizerName());
        HuggingFaceTokenizer pair = null;
        HuggingFaceTokenizer plain = null;
        try {
            pair = create(json, "only_second", maxLength, stride, source.tokenizerName());
            plain = create(json, "false", maxLength, stride, source.tokenizerName());
            return new TextTokenizer(single, pair, plain, maxLength, stride, source.tokenizerName());
        } catch (RuntimeException e) {
            single.close();
            if (pair != null) {
                pair.close();
            }
            if (plain != null) {
                plain.close();
            }
            throw e;
        }
    }

    private static HuggingFaceTokenizer create(byte[] json, String truncation, int maxLength, int stride, String name) {
        Map<String, String> options = new HashMap<>();
        options.put("padding", "false");
        options.put("truncation", truncation);
        options.put("maxLength", Integer.toString(maxLength));
        options.put("modelMaxLength", Integer.toString(maxLength));
        options.put("stride", Integer.toString(stride));
        options.put("withOverflowingTokens", Boolean.toString(!"false".equals(truncation)));
        try {
            return HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(json), options);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load tokenizer " + name + ": expected a Hugging Face tokenizer.json: " + e.getMessage(), e);
        }
    }

    int maxLength() {
        return maxLength;
    }

    int stride() {
        return stride;
    }

    String name() {
        return name;
    }

    /** Tokens of {@code text} as one sequence with its special tokens, before any windowing. */
    int countTokens(String text) {
        return plain.encode(text).getIds().length;
    }

    /** All windows of all texts, in input order. One native call for the whole list. */
    List<Window> windows(List<String> texts) {
        Encoding[] encodings = single.batchEncode(texts);
        List<Window> out = new ArrayList<>(texts.size());
        for (int i = 0; i < encodings.length; i++) {
            addWindows(out, i, encodings[i], texts.get(i), 0);
        }
        return out;
    }

    /** Windows over the second text of each pair; the first text is repeated in each window. */
    List<Window> pairWindows(List<String> firsts, List<String> seconds) {
        if (maxFirstTokens < 1) {
            throw new IllegalStateException("windows of " + maxLength + " tokens with a stride of " + stride
                    + " leave no room for text pairs; raise maxLength or lower stride");
        }
        PairList<String, String> pairs = new PairList<>(firsts.size());
        Encoding[] firstTokens = plain.batchEncode(firsts, false, false);
        for (int i = 0; i < firsts.size(); i++) {
            pairs.add(keepEnd(firsts.get(i), firstTokens[i]), seconds.get(i));
        }
        Encoding[] encodings = pair.batchEncode(pairs);
        List<Window> out = new ArrayList<>(firsts.size());
        for (int i = 0; i < encodings.length; i++) {
            addWindows(out, i, encodings[i], seconds.get(i), 1);
        }
        return out;
    }

    /**
     * The first text of a pair, cut to its last {@link #maxFirstTokens} tokens when longer. The
     * first text is context (a prompt before a response); the judged second text is never cut.
     */
    private String keepEnd(String first, Encoding tokens) {
        int n = tokens.getIds().length;
        if (n <= maxFirstTokens) {
            return first;
        }
        CharSpan[] spans = tokens.getCharTokenSpans();
        for (int t = n - maxFirstTokens; t < n; t++) {
            if (spans[t] != null && spans[t].getStart() >= 0) {
                return first.substring(new Offsets(first).utf16(spans[t].getStart()));
            }
        }
        return "";
    }

    private static void addWindows(List<Window> out, int owner, Encoding first, String judged, int sequence) {
        Offsets offsets = new Offsets(judged);
        out.add(window(owner, 0, first, offsets, sequence));
        Encoding[] overflow = first.getOverflowing();
        for (int w = 0; w < overflow.length; w++) {
            out.add(window(owner, w + 1, overflow[w], offsets, sequence));
        }
    }

    private static Window window(int owner, int index, Encoding e, Offsets offsets, int sequence) {
        CharSpan[] spans = e.getCharTokenSpans();
        long[] seq = sequence == 0 ? null : e.getSequenceIds();
        int start = Integer.MAX_VALUE;
        int end = -1;
        for (int t = 0; t < spans.length; t++) {
            CharSpan s = spans[t];
            if (s == null || s.getStart() < 0 || (seq != null && seq[t] != sequence)) {
                continue;
            }
            start = Math.min(start, s.getStart());
            end = Math.max(end, s.getEnd());
        }
        if (end < 0) {
            start = 0;
            end = 0;
        }
        return new Window(owner, index, e.getIds(), e.getAttentionMask(), e.getTypeIds(),
                offsets.utf16(start), offsets.utf16(end));
    }

    @Override
    public void close() {
        single.close();
        pair.close();
        plain.close();
    }

    /** Code point index to UTF-16 index for one text; identity when the text has no surrogate pairs. */
    static final class Offsets {
        private final String text;
        private int[] table;

        Offsets(String text) {
            this.text = text;
            if (text.codePointCount(0, text.length()) != text.length()) {
                int n = text.codePointCount(0, text.length());
                table = new int[n + 1];
                int utf16 = 0;
                for (int cp = 0; cp < n; cp++) {
                    table[cp] = utf16;
                    utf16 += Character.charCount(text.codePointAt(utf16));
                }
                table[n] = text.length();
            }
        }

        int utf16(int codePoint) {
            if (table == null) {
                return Math.min(codePoint, text.length());
            }
            return table[Math.min(codePoint, table.length - 1)];
        }
    }
}
