/**
 * Files in and out of mlp4j: models and training checkpoints ({@link org.mlp4j.io.ModelFiles}, safetensors with
 * PyTorch's names), the safetensors format itself ({@link org.mlp4j.io.SafeTensors}: F32, F16, BF16), imports
 * from PyTorch ({@link org.mlp4j.io.Onnx} for {@code torch.onnx.export} files,
 * {@link org.mlp4j.io.ModelFiles#loadStateDict} for state dicts), and training data (MNIST's IDX files, CSV).
 *
 * <p>Every reader treats its file as untrusted: sizes are bounded before anything is allocated, and a damaged
 * or unexpected file ends in an {@link java.io.IOException} subclass whose message names the file, the part
 * concerned, what was expected and what was found.
 */
package org.mlp4j.io;
