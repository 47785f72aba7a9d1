package dev.quokka.training.nd4j;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Binds a training thread to the GPU Spark assigned to its task. Spark names GPUs by the addresses its discovery
 * script printed (usually nvidia-smi indices, sometimes UUIDs); CUDA numbers the devices it can see from 0, after
 * CUDA_VISIBLE_DEVICES. This class maps one onto the other and tells ND4J.
 */
public final class Devices {
    private Devices() {}

    /**
     * The CUDA ordinal of the one GPU Spark gave a task.
     *
     * @param addresses the task's {@code gpu} addresses ({@code TaskContext.resources()})
     * @param visible   CUDA_VISIBLE_DEVICES as the executor has it, or null when unset
     */
    public static int ordinal(List<String> addresses, String visible) {
        if (addresses.size() != 1) {
            throw new IllegalArgumentException("a run trains on one GPU, but its task was given " + addresses.size() + " " + addresses
                    + "; set spark.task.resource.gpu.amount to 1 (or a fraction, to share a GPU)");
        }
        String address = addresses.get(0).trim();
        if (visible != null && !visible.isBlank()) {
            List<String> seen = Arrays.stream(visible.split(",")).map(String::trim).toList();
            int i = seen.indexOf(address);
            if (i < 0) {
                throw new IllegalArgumentException("Spark assigned GPU " + address + ", which CUDA_VISIBLE_DEVICES=" + visible
                        + " hides from this executor; its discovery script and CUDA_VISIBLE_DEVICES disagree");
            }
            return i;
        }
        try {
            int ordinal = Integer.parseInt(address);
            if (ordinal < 0) throw new NumberFormatException();
            return ordinal;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Spark assigned GPU '" + address + "', which is not a device index; "
                    + "with UUID addresses, set CUDA_VISIBLE_DEVICES on the executors so they can be numbered");
        }
    }

    /**
     * Makes the calling thread's ND4J work run on the task's GPU. Without GPU addresses it does nothing; with them on
     * ND4J's CPU backend it fails, because the run would silently train on the CPU.
     */
    public static void bind(List<String> addresses, String visible) {
        if (addresses.isEmpty()) return;
        if (!Backend.isCuda()) {
            throw new IllegalStateException("Spark gave this task GPU " + addresses + ", but ND4J runs on the CPU here; "
                    + "build with -Pcuda (nd4j-cuda-11.6) to train on GPUs");
        }
        int ordinal = ordinal(addresses, visible);
        int devices = Nd4j.getAffinityManager().getNumberOfDevices();
        if (ordinal >= devices) throw new IllegalStateException("GPU ordinal " + ordinal + " from Spark's address " + addresses + ", but CUDA sees " + devices);
        Nd4j.getAffinityManager().unsafeSetDevice(ordinal);
    }
}
