package dev.parapet.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Word-piece vocabularies for heads that read a lexicon ({@code EmbeddingHead.lexicon()}). */
public final class Lexicons {
    private Lexicons() {
    }

    /**
     * The {@code k} word pieces held by the most texts (ties: smaller id first), from each text's windows of token
     * ids. A window's first and last ids are its special tokens ({@code [CLS]}, {@code [SEP]}): those ids are never
     * chosen, wherever they occur, so the runtime and the fused graph may scan every position of a window.
     */
    public static int[] mostFrequent(List<List<int[]>> texts, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        Set<Integer> special = new HashSet<>();
        special.add(0);
        Map<Integer, Integer> df = new HashMap<>();
        for (List<int[]> windows : texts) {
            Set<Integer> seen = new HashSet<>();
            for (int[] w : windows) {
                if (w.length > 0) {
                    special.add(w[0]);
                    special.add(w[w.length - 1]);
                }
                for (int j = 1; j < w.length - 1; j++) {
                    seen.add(w[j]);
                }
            }
            seen.forEach(id -> df.merge(id, 1, Integer::sum));
        }
        List<Map.Entry<Integer, Integer>> order = new ArrayList<>(df.entrySet());
        order.removeIf(e -> special.contains(e.getKey()));
        order.sort(Map.Entry.<Integer, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        int[] out = new int[Math.min(k, order.size())];
        for (int j = 0; j < out.length; j++) {
            out[j] = order.get(j).getKey();
        }
        return out;
    }
}
