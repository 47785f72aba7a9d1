package dev.quokka.training.nd4j;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.api.ops.impl.shape.Gather;

/**
 * Gather along axis 0 with a correct gradient: a scatter-add of the incoming gradient into zeros. M2.1's own backward
 * pass ({@code retGrad.put(indices, values, indices)}) places element idx[j]'s gradient at idx[j], and overwrites
 * repeated indices; both give wrong gradients without an error (docs/nd4j.md, trap 3). Installed by {@link OpFixes}.
 *
 * <p>The scatter-add runs locked: unlocked, libnd4j splits the indices over threads that add into the same rows
 * unsynchronised, so repeated token ids lose updates or sum in a varying order (caught by {@code SameDiffEngineTest}).
 */
public final class ScatterAddGather extends Gather {
    public ScatterAddGather() {}

    public ScatterAddGather(SameDiff sd, SDVariable input, SDVariable indices, int axis) {
        super(sd, input, indices, axis);
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        if (jaxis != 0) throw new UnsupportedOperationException("ScatterAddGather's gradient is for axis 0 only, not " + jaxis);
        SDVariable input = arg(0), indices = arg(1);
        ScatterAdd add = new ScatterAdd(sameDiff, sameDiff.zerosLike(input), indices, grads.get(0));
        add.addBArgument(true); // use_locking
        return List.of(add.outputVariable(), sameDiff.zerosLike(indices));
    }
}
