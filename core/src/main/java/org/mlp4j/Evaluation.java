package org.mlp4j;

/**
 * Loss and accuracy of a network on a dataset, from {@link Evaluator#evaluate}.
 *
 * @param loss     mean loss with the network's loss function (same reduction as training)
 * @param accuracy fraction of correctly classified samples for classifiers (cross-entropy, or BCE with one
 *                 output and threshold 0.5), else NaN
 * @param samples  number of samples evaluated
 * @param confusion confusion counts {@code [true class][predicted class]} for classifiers (2 x 2 for a
 *                 binary BCE output), else null; owned by this record, do not modify
 */
public record Evaluation(double loss, double accuracy, int samples, long[][] confusion) {

    /**
     * Number of classes of the confusion matrix, or 0 when there is none.
     *
     * @return the confusion matrix's size, 0 for regression
     */
    public int classes() {
        return confusion == null ? 0 : confusion.length;
    }
}
