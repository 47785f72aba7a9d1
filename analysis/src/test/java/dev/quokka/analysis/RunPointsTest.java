package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Second-descent truncation on loss curves by epoch. */
class RunPointsTest {
    @Test
    void aUShapeIsKeptWhole() {
        assertEquals(7, RunPoints.keep(new double[] {5, 4, 3.5, 3.4, 3.5, 3.7, 4.0}));
    }

    @Test
    void aSecondDescentIsCutAtThePeakBeforeIt() {
        // minimum at 3.0, overfitting up to the peak 3.6 (index 5), then a second descent
        assertEquals(6, RunPoints.keep(new double[] {5, 4, 3.0, 3.2, 3.4, 3.6, 3.3, 3.0, 2.8}));
    }

    @Test
    void noiseIsNeitherOverfittingNorADescent() {
        assertEquals(6, RunPoints.keep(new double[] {5, 4, 3.0, 3.02, 2.99, 3.01}));          // wiggles under 1%
        assertEquals(5, RunPoints.keep(new double[] {5, 4, 3.0, 3.2, 3.19}));                  // a dip under 1% after the rise
        assertEquals(4, RunPoints.keep(new double[] {5, 4, 3.0, 3.3, 3.25, 3.1}));              // a fall over 1% from the peak
    }
}
