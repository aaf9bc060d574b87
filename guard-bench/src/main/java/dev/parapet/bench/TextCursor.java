package dev.parapet.bench;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Where a benchmark thread is in a pool it walks through in order (see {@link BenchTexts} for why in order). */
@State(Scope.Thread)
public class TextCursor {
    private int next;

    /** The next index, counting up from 0; callers wrap it into their pool. */
    int next() {
        return next++;
    }

    /** The next {@code count} indexes start here. */
    int advance(int count) {
        int from = next;
        next += count;
        return from;
    }
}
