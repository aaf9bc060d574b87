package dev.parapet.onnx;

import java.util.Arrays;

/**
 * One window's probabilities. {@code start}/{@code end} are UTF-16 offsets into the judged text
 * (for a pair, the second text); windows of one text overlap by the classifier's stride.
 */
public record WindowScore(int index, int start, int end, float[] probabilities) {
    public WindowScore {
        probabilities = probabilities.clone();
    }

    @Override
    public float[] probabilities() {
        return probabilities.clone();
    }

    float probability(int label) {
        return probabilities[label];
    }

    @Override
    public String toString() {
        return "WindowScore{" + index + " [" + start + ", " + end + ") " + Arrays.toString(probabilities) + '}';
    }
}
