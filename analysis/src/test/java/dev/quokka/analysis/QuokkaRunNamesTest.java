package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Names built in the two layouts of Quokka's README, with the units its own names use (96b, 1b). */
class QuokkaRunNamesTest {
    @Test
    void computeConstrainedNamesGiveNAndDAndUIsD() {
        QuokkaRunNames.Named q = QuokkaRunNames.parse("1e19_109_15.3b").orElseThrow();
        assertEquals("compute-constrained", q.kind());
        assertEquals(109e6, q.n(), 1e-6);
        assertEquals(15.3e9, q.d(), 1);
        assertEquals(q.d(), q.u());
        assertNull(q.objective());
        QuokkaRunNames.Named m = QuokkaRunNames.parse("3e20_1024M_48.8B_dlm").orElseThrow();
        assertEquals(1.024e9, m.n(), 1e-3);
        assertEquals(48.8e9, m.d(), 1);
        assertEquals("dlm", m.objective());
    }

    @Test
    void dataConstrainedNamesGiveUAsDOverTheRepetition() {
        QuokkaRunNames.Named q = QuokkaRunNames.parse("1100_96b_16e_2000_1000_4_256_2e-4_difflm").orElseThrow();
        assertEquals("data-constrained", q.kind());
        assertEquals(1.1e9, q.n(), 1e-3);
        assertEquals(96e9, q.d(), 1);
        assertEquals(6e9, q.u(), 1, "96B tokens over 16 repetitions");
        assertEquals("dlm", q.objective(), "difflm is Quokka's name for the DLM");
        QuokkaRunNames.Named plain = QuokkaRunNames.parse("570_10B_100_1k_500_8_512_3e-4").orElseThrow();
        assertEquals(1e8, plain.u(), 1e-3);
    }

    /** Nothing is guessed: a name in neither layout, or with a part missing, is not read. */
    @Test
    void otherNamesAreNotRead() {
        for (String name : new String[] {"1024_96b_1e_1b_ar", "masked_96b_1e_1b_difflm", "1e19_109", "570_10B_0_1k_500_8_512_3e-4", "tensorboard",
                "1e19_109_15.3q"}) {
            assertTrue(QuokkaRunNames.parse(name).isEmpty(), name);
        }
    }
}
