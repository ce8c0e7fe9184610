#!/bin/sh
# roundtrip_run.sh: tn's .pt/.npy/.safetensors files read back exactly in PyTorch/NumPy, and
# theirs in tn. Usage: sh tests/files/roundtrip_run.sh [ROOT] (ROOT holds ./tn). Prints
# "skipped" when /usr/bin/python3 lacks torch or numpy.
set -eu
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
py=/usr/bin/python3
if ! [ -x $py ] || ! $py -c 'import torch, numpy' 2>/dev/null; then
    echo skipped
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tn-roundtrip.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# 1. tn writes, PyTorch / NumPy read
cat >write.tn <<'TN'
import numpy as np
from safetensors.torch import save_file
t = torch.arange(12.).reshape(3, 4)
sd = OrderedDict([("w", t), ("row", t[1]), ("tt", t.t()), ("i", tensor([[-3, 2**40]])),
                  ("b", tensor([True, False])), ("d", tensor([0.1], dtype=torch.float64)),
                  ("n", tensor([5], dtype=torch.int32)), ("s", tensor(2.5)), ("e", zeros(0, 3)),
                  ("p", nn.Parameter(torch.ones(2)))])
torch.save({"sd": sd, "meta": [1, 2.5, "x", None, True, (1, 2)]}, "tn.pt")
np.save("tn_f4.npy", torch.linspace(0, 1, 7).numpy())
np.save("tn_fortran.npy", np.array([[1, 2, 3], [4, 5, 6]]).T)
np.save("tn_b1.npy", np.array([[True, False]]))
save_file({"w": t, "b": tensor([True]), "i": tensor([1, 2])}, "tn.safetensors", metadata={"k": "v"})
TN
"$root/tn" write.tn
cat >check.py <<'PY'
import json, struct, torch, numpy as np, collections
d = torch.load("tn.pt")
sd = d["sd"]
t = torch.arange(12.).reshape(3, 4)
assert type(sd) is collections.OrderedDict and list(sd) == ["w", "row", "tt", "i", "b", "d", "n", "s", "e", "p"]
assert torch.equal(sd["w"], t) and torch.equal(sd["row"], t[1]) and torch.equal(sd["tt"], t.t())
assert sd["row"].data_ptr() == sd["w"].data_ptr() + 16, "views must share the storage"
assert sd["tt"].stride() == (1, 4)
assert sd["i"].tolist() == [[-3, 2**40]] and sd["b"].tolist() == [True, False]
assert sd["d"].dtype == torch.float64 and sd["n"].dtype == torch.int32 and sd["s"].shape == ()
assert sd["e"].shape == (0, 3) and isinstance(sd["p"], torch.nn.Parameter) and sd["p"].requires_grad
assert d["meta"] == [1, 2.5, "x", None, True, (1, 2)]
ref = {"tn_f4.npy": torch.linspace(0, 1, 7).numpy(),  # (NumPy rounds one value differently)
       "tn_fortran.npy": np.array([[1, 2, 3], [4, 5, 6]]).T, "tn_b1.npy": np.array([[True, False]])}
for name, want in ref.items():
    got = np.load(name)
    assert got.dtype == want.dtype and np.array_equal(got, want), name
    buf = open("np_" + name, "wb")
    np.save(buf, want)
    buf.close()
    assert open(name, "rb").read() == open("np_" + name, "rb").read(), name + " bytes differ from NumPy's"
raw = open("tn.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
assert hdr["__metadata__"] == {"k": "v"} and hdr["w"]["dtype"] == "F32" and hdr["w"]["shape"] == [3, 4]
b, e = hdr["w"]["data_offsets"]
assert np.array_equal(np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(3, 4), t.numpy())
try:
    from safetensors.torch import load_file
    got = load_file("tn.safetensors")
    assert torch.equal(got["w"], t) and got["i"].tolist() == [1, 2]
except ImportError:
    pass
print("pytorch and numpy read tn's files")
PY
$py check.py

# 2. PyTorch / NumPy write, tn reads
cat >write.py <<'PY'
import torch, numpy as np
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
torch.save(m.state_dict(), "py.pt")
x = torch.tensor([[1., 2., 3.]])
with open("py_expect.txt", "w") as f:
    f.write(repr(m(x)) + "\n")
np.save("py.npy", np.arange(6, dtype=np.float32).reshape(2, 3) / 7)
PY
$py write.py
cat >read.tn <<'TN'
import numpy as np
m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
print(m.load_state_dict(torch.load("py.pt")))
print(repr(m(tensor([[1., 2., 3.]]))))
print(np.load("py.npy"))
TN
"$root/tn" read.tn >got.txt
$py -c 'import numpy as np; print(np.load("py.npy"))' >np_expect.txt
{ echo "<All keys matched successfully>"; cat py_expect.txt np_expect.txt; } >want.txt
diff want.txt got.txt
echo "tn reads pytorch's and numpy's files"
