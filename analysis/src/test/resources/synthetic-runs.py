# 1,000 synthetic run directories in quokka's run format, 10,000 eval rows each (10M rows): 100 epochs x 100 evaluations.
import json, math, os, random, sys
root = sys.argv[1]
random.seed(1)
A, al, B, be, pe, g, cp, mp, kp = 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55
def loss(n, u, e):
    ep = cp * u**mp / n**kp
    dp = u * e**pe * math.exp(-(max(0, e - 1) / ep)**g)
    return 0.5 + A / n**al + B / dp**be
for r in range(1000):
    n = 1e7 * (200 ** ((r % 40) / 39)); u = 1e7 * (1000 ** ((r // 40) / 24))
    d = os.path.join(root, f"run{r:04d}"); os.makedirs(os.path.join(d, "metrics"), exist_ok=True)
    json.dump({"format": "quokka.run/1", "config": {"objective": "dlm"}, "model": {"papers_n": n, "papers_n_non_embedding": n, "parameters": n},
               "study": {"unique_tokens": int(u)}}, open(os.path.join(d, "run.json"), "w"))
    with open(os.path.join(d, "metrics", "eval.csv"), "w") as f:
        f.write("step,tokens,epoch,lr,val_loss,boundary\n")
        for s in range(1, 10001):
            e = s / 100
            f.write(f"{s},{int(u * e)},{e:.6f},1e-3,{loss(n, u, e) * math.exp(0.01 * random.gauss(0, 1)):.6f},{'true' if s % 100 == 0 else 'false'}\n")
