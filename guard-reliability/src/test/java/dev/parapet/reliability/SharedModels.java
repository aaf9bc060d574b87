package dev.parapet.reliability;

import dev.parapet.models.DefaultModels;

/**
 * One {@link DefaultModels} for the whole test JVM, never closed. While it is open, every other
 * {@code DefaultModels.load()} or {@code DefaultModels.guard()} in this module's tests reuses its
 * ONNX session instead of building one (seconds each on a busy CI machine).
 */
final class SharedModels {
    private SharedModels() {
    }

    private static final class Holder {
        static final DefaultModels MODELS = DefaultModels.load();
    }

    static DefaultModels get() {
        return Holder.MODELS;
    }
}
