/**
 * Training heads on a frozen encoder (build time only): JSONL readers for the shared datasets
 * ({@link dev.parapet.train.Jsonl}), embeddings through guard-onnx's runtime encoder with an on-disk
 * cache ({@link dev.parapet.train.Embedder}, {@link dev.parapet.train.EmbeddingCache}), deterministic
 * logistic-regression / MLP / pairwise-reward fitting with validation-chosen regularisation, Platt
 * calibration and thresholds ({@link dev.parapet.train.BinaryHeadTrainer},
 * {@link dev.parapet.train.RewardHeadTrainer}), scikit-learn-compatible metrics and report
 * ({@link dev.parapet.train.Metrics}, {@link dev.parapet.train.ClassificationReport}), the fused
 * Hugging Face-layout export ({@link dev.parapet.train.FusedExport}), and the command that
 * reproduces the shipped heads ({@link dev.parapet.train.TrainDefaults}). See docs/models.md.
 */
package dev.parapet.train;
