package dev.parapet.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of intermediate encoder outputs that heads can read beside the final one
 * ({@code TextEncoder.Builder.taps}). The shipped encoders are Hugging Face BERT exports, whose
 * layer {@code i} (0-based) ends in the tensor {@code /encoder/layer.i/output/LayerNorm/Add_1_output_0}.
 */
public final class Taps {
    private static final Pattern LAYER = Pattern.compile("/encoder/layer\\.(\\d+)/output/LayerNorm/Add_1_output_0");

    private Taps() {
    }

    /** The output tensor of BERT layer {@code index} (0-based). */
    public static String bertLayer(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("layer index must be >= 0, got " + index);
        }
        return "/encoder/layer." + index + "/output/LayerNorm/Add_1_output_0";
    }

    /** {@code "7"} or {@code "5,9"} (0-based layer indices) as tensor names; empty for {@code ""} or {@code "none"}. */
    public static List<String> parseLayers(String spec) {
        List<String> out = new ArrayList<>();
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("none")) {
            return out;
        }
        for (String x : s.split(",")) {
            out.add(bertLayer(Integer.parseInt(x.trim())));
        }
        return out;
    }

    /** {@code L7} for a BERT layer tensor, else the name with its non-file characters replaced. */
    public static String shortName(String tap) {
        Matcher m = LAYER.matcher(tap);
        return m.matches() ? "L" + m.group(1) : tap.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** Short names joined, e.g. {@code L5+L9}, or {@code none}. */
    public static String describe(List<String> taps) {
        return taps.isEmpty() ? "none" : String.join("+", taps.stream().map(Taps::shortName).toList());
    }
}
