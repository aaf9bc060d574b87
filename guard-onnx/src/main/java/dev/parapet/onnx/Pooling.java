package dev.parapet.onnx;

/** How a text encoder's token vectors become one vector. */
public enum Pooling {
    /** Mean over the tokens the attention mask keeps (sentence-transformers' default, MiniLM). */
    MEAN,
    /** The first token's vector (BGE). */
    CLS,
    /** Element-wise maximum over the tokens the attention mask keeps. */
    MAX
}
