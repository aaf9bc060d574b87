package dev.parapet.onnx;

import java.util.List;

/** Long benign texts for window tests: varied, ordinary sentences (a fixed rotation, no randomness). */
final class LongTexts {
    private static final List<String> SENTENCES = List.of(
            "The library opens at nine and closes at six on weekdays.",
            "Our team shipped the new release after a week of testing.",
            "Fresh bread is best when the crust is crisp and golden.",
            "The river runs through the valley past old stone bridges.",
            "Please remember to water the tomatoes every other morning.",
            "The museum added a room of maps from the sixteenth century.",
            "She tuned the guitar before the concert started.",
            "Train tickets are cheaper if you book them in advance.",
            "The recipe calls for two cups of flour and a pinch of salt.",
            "We walked along the beach and collected smooth pebbles.",
            "The report summarises sales figures for the second quarter.",
            "A light rain fell over the city during the afternoon.");

    private LongTexts() {
    }

    static String benignWords(int words) {
        StringBuilder sb = new StringBuilder();
        int count = 0;
        int i = 0;
        while (count < words) {
            String s = SENTENCES.get(i++ % SENTENCES.size());
            sb.append(sb.length() == 0 ? "" : " ").append(s);
            count += s.split(" ").length;
        }
        return sb.toString();
    }
}
