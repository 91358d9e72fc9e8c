package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    @Test
    void constantIsConstant() {
        LearningRateSchedule s = LearningRateSchedule.constant(0.05);
        assertEquals(0.05, s.learningRate(0));
        assertEquals(0.05, s.learningRate(1_000_000));
    }

    @Test
    void stepDecayMultipliesEveryStepSizeSteps() {
        LearningRateSchedule s = LearningRateSchedule.stepDecay(0.1, 10, 0.5);
        assertEquals(0.1, s.learningRate(0), 1e-15);
        assertEquals(0.1, s.learningRate(9), 1e-15);
        assertEquals(0.05, s.learningRate(10), 1e-15);
        assertEquals(0.05, s.learningRate(19), 1e-15);
        assertEquals(0.025, s.learningRate(20), 1e-15);
        assertEquals(0.1 * Math.pow(0.5, 7), s.learningRate(75), 1e-15);
    }

    @Test
    void cosineWithWarmupAtKnownSteps() {
        LearningRateSchedule s = LearningRateSchedule.cosineWithWarmup(0.1, 4, 104, 0.001);
        // linear warm-up: lr * (step + 1) / warmup
        assertEquals(0.025, s.learningRate(0), 1e-15);
        assertEquals(0.05, s.learningRate(1), 1e-15);
        assertEquals(0.1, s.learningRate(3), 1e-15);
        // cosine: peak at the end of warm-up, midpoint halfway, minimum at totalSteps and after
        assertEquals(0.1, s.learningRate(4), 1e-15);
        assertEquals(0.001 + 0.099 * 0.5, s.learningRate(54), 1e-15);
        assertEquals(0.001 + 0.099 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), s.learningRate(29), 1e-15);
        assertEquals(0.001, s.learningRate(104), 1e-15);
        assertEquals(0.001, s.learningRate(500), 1e-15);
    }

    @Test
    void cosineWithoutWarmupStartsAtPeak() {
        LearningRateSchedule s = LearningRateSchedule.cosineWithWarmup(1.0, 0, 10, 0.0);
        assertEquals(1.0, s.learningRate(0), 1e-15);
        assertEquals(0.5, s.learningRate(5), 1e-15);
        assertEquals(0.0, s.learningRate(10), 1e-15);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.stepDecay(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.stepDecay(0.1, 5, 1.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosineWithWarmup(0.1, 10, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosineWithWarmup(0.1, 0, 10, 0.2));
    }
}
