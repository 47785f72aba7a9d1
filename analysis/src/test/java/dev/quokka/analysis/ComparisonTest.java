package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonTest {
    /** Three runs of 1, 2 and 3: mean 2, sd 1, and t(0.975, 2) = 4.3027, so 2 +- 2.4842. */
    @Test
    void intervalsOverSeedsUseStudentsT() {
        Comparison.Interval i = Comparison.interval(2, 1, 3);
        assertEquals(2 - 4.302653 / Math.sqrt(3), i.low(), 1e-5);
        assertEquals(2 + 4.302653 / Math.sqrt(3), i.high(), 1e-5);
        assertNull(Comparison.interval(2, Double.NaN, 1), "one run has no interval");
    }

    /**
     * The DLM best at lr 1e-2 and AR at 1e-3 on a grid of 1e-3, 3e-3, 1e-2 are two steps apart: no transfer; at the
     * other weight decay both are best at 3e-3. A categorical axis gives no transfer row.
     */
    @Test
    void transferIsTheDistanceOfTheTwoBestValuesInGridSteps() {
        List<Comparison.Cell> cells = new java.util.ArrayList<>();
        double[][] dlm = {{3.0, 2.9, 2.8}, {3.0, 2.7, 2.8}}, ar = {{2.5, 2.6, 2.7}, {2.6, 2.4, 2.5}};
        String[] lrs = {"0.001", "0.003", "0.01"}, wds = {"0.0", "0.1"};
        for (int w = 0; w < 2; w++) {
            for (int k = 0; k < 3; k++) {
                cells.add(cell("dlm", List.of(lrs[k], wds[w], "linear"), dlm[w][k]));
                cells.add(cell("ar", List.of(lrs[k], wds[w], "linear"), ar[w][k]));
            }
        }
        List<Comparison.Transfer> t = Comparison.transfers(List.of("lr", "weight-decay", "mask-schedule"), cells);
        List<Comparison.Transfer> lr = t.stream().filter(x -> x.axis().equals("lr")).toList();
        assertEquals(2, lr.size(), t.toString());
        Comparison.Transfer w0 = lr.stream().filter(x -> x.others().contains("weight-decay=0.0")).findFirst().orElseThrow();
        assertEquals("0.01", w0.bestDlm());
        assertEquals("0.001", w0.bestAr());
        assertEquals(2, w0.steps());
        assertTrue(!w0.transfers());
        Comparison.Transfer w1 = lr.stream().filter(x -> x.others().contains("weight-decay=0.1")).findFirst().orElseThrow();
        assertEquals(0, w1.steps());
        assertTrue(w1.transfers());
        assertTrue(t.stream().noneMatch(x -> x.axis().equals("mask-schedule")), "not numeric");
    }

    private static Comparison.Cell cell(String objective, List<String> values, double loss) {
        return new Comparison.Cell(objective, 1e6, 1e7, values, 1, loss, null, loss, null);
    }
}
