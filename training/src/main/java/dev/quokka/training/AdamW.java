package dev.quokka.training;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as the papers train:
 * <pre>
 *   g  = grad * min(1, clip / (||grad||_2 + 1e-6))        global norm over all parameters
 *   p  = p * (1 - lr * weightDecay)                          matrices only: never norm gains
 *   m  = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 * </pre>
 * The bias correction is folded into the step size (Kingma and Ba, section 2), as ND4J's fused kernel does: eps then
 * sits outside the correction, a difference from PyTorch's AdamW of order eps, i.e. none at eps = 1e-8.
 *
 * @param clipNorm 0 for no clipping
 */
public record AdamW(double beta1, double beta2, double eps, double weightDecay, double clipNorm) implements java.io.Serializable {
    public AdamW {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("Adam's betas must be in [0, 1), not " + beta1 + ", " + beta2);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("Adam's eps must be a positive number, not " + eps);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("--weight-decay must be >= 0, not " + weightDecay);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("--clip must be >= 0 (0: no clipping), not " + clipNorm);
    }

    /** The released Quokka script's: betas (0.9, 0.95), eps 1e-8, decay 0.1, clipping at 1.0. */
    public static AdamW papers() {
        return new AdamW(0.9, 0.95, 1e-8, 0.1, 1.0);
    }

    /** The factor that brings a gradient of this global norm within the clip. */
    public double clipScale(double norm) {
        return clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
    }
}
