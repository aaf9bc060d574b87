package dev.parapet.onnx;

/**
 * One model-sized slice of a text, tokenized. {@code start}/{@code end} are UTF-16 offsets of the
 * slice in the judged text (the second text of a pair), {@code owner} the index of the input it
 * came from and {@code index} its position among that input's windows.
 */
record Window(int owner, int index, long[] ids, long[] mask, long[] types, int start, int end) {
    int length() {
        return ids.length;
    }
}
