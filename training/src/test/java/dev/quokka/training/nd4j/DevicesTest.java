package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Spark's GPU addresses become CUDA ordinals, without a GPU. */
class DevicesTest {
    @Test
    void anIndexIsTheOrdinalWhenEveryDeviceIsVisible() {
        assertEquals(0, Devices.ordinal(List.of("0"), null));
        assertEquals(3, Devices.ordinal(List.of("3"), ""));
    }

    @Test
    void cudaVisibleDevicesRenumbers() {
        assertEquals(1, Devices.ordinal(List.of("3"), "2,3"));
        assertEquals(0, Devices.ordinal(List.of("GPU-8f1c"), "GPU-8f1c, GPU-77aa"));
    }

    @Test
    void whatCannotBeMappedIsAnError() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Devices.ordinal(List.of("1"), "2,3")).getMessage().contains("hides"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Devices.ordinal(List.of("GPU-8f1c"), null)).getMessage().contains("UUID"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Devices.ordinal(List.of("0", "1"), null)).getMessage().contains("one GPU"));
    }

    @Test
    @Tag("slow") // loads ND4J's backend
    void noAddressesBindNothingAndAddressesOnTheCpuBackendAreRefused() {
        Devices.bind(List.of(), null);
        if (!Backend.isCuda()) {
            assertTrue(assertThrows(IllegalStateException.class, () -> Devices.bind(List.of("0"), null)).getMessage().contains("-Pcuda"));
        }
    }
}
