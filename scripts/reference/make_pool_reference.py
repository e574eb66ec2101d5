"""Reference for TrainingPairPoolTests: runs BasicSR's own RealESRGANModel._dequeue_and_enqueue (the method's source,
taken from basicsr/models/realesrgan_model.py and executed on a stand-in model object, so no GPU or network is needed)
for a few steps, with each sample's tensors holding its identity (step, index), and records torch.randperm's
permutations and the identities each step trains on.

    python3 scripts/reference/make_pool_reference.py /tmp/p2-basicsr > tests/SrTrain.Tests/TestData/Degradation/pool_reference.json

Small on purpose (queue 12, batch 4, 12 steps: under 3 kB): the pool logic has no size-dependent path.
"""
import ast, json, sys, types
import torch

src_root = sys.argv[1]
path = f"{src_root}/basicsr/models/realesrgan_model.py"
tree = ast.parse(open(path).read())
fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_dequeue_and_enqueue")
fn.decorator_list = []
ns = {"torch": torch}
exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), ns)
dequeue_and_enqueue = ns["_dequeue_and_enqueue"]

torch.Tensor.cuda = lambda self: self  # the pool lives on the GPU in BasicSR; here on the CPU
perms = []
real_randperm = torch.randperm
def recording_randperm(n):
    p = real_randperm(n)
    perms.append(p.tolist())
    return p
torch.randperm = recording_randperm

torch.manual_seed(0)
queue, batch, steps = 12, 4, 12
model = types.SimpleNamespace(queue_size=queue)
out = []
for step in range(steps):
    ident = torch.tensor([[step, i] for i in range(batch)], dtype=torch.float32)
    model.lq = ident.view(batch, 2, 1, 1).expand(batch, 2, 1, 2).clone()   # (B,C,h,w) with C=2: step, index
    model.gt = ident.view(batch, 2, 1, 1).expand(batch, 2, 2, 2).clone()
    n_perms = len(perms)
    dequeue_and_enqueue(model)
    got = [[int(model.lq[i, 0, 0, 0]), int(model.lq[i, 1, 0, 0])] for i in range(batch)]
    assert all(int(model.gt[i, 0, 1, 1]) == g[0] and int(model.gt[i, 1, 1, 1]) == g[1] for i, g in enumerate(got))
    out.append({"step": step, "perm": perms[n_perms] if len(perms) > n_perms else None, "batch": got})
json.dump({"queue_size": queue, "batch_size": batch, "steps": out}, sys.stdout)
print()
