"""Writes the fuzz seed corpora with PyTorch and NumPy (run with /usr/bin/python3 from tests/fuzz)."""
import collections, json, struct
import numpy as np
import torch

t = torch.arange(6.).reshape(2, 3)
pt = {
    "tensor": t,
    "views": {"a": t, "b": t[1:], "c": t.t()},
    "state_dict": torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()).state_dict(),
    "param": torch.nn.Parameter(torch.ones(2)),
    "containers": [1, -5, 2**40, 1.5, "s", None, True, (1, 2), {"k": torch.tensor([1, 2])}],
    "dtypes": [torch.tensor([True]), torch.tensor([1], dtype=torch.int32),
               torch.tensor([1.0], dtype=torch.float64), torch.zeros(0, 3), torch.tensor(2.5)],
    "od": collections.OrderedDict(z=torch.ones(1)),
}
for name, obj in pt.items():
    torch.save(obj, f"corpus_pt/{name}.pt")

npy = {
    "f4": np.arange(6, dtype=np.float32).reshape(2, 3), "f8": np.array([0.5, -1e-3, np.nan]),
    "i8": np.array([[1, -2], [3, 4]]), "i4": np.arange(3, dtype=np.int32),
    "b1": np.array([True, False]), "fortran": np.asfortranarray(np.arange(6.).reshape(2, 3)),
    "scalar": np.array(3.0), "empty": np.zeros((0, 2)), "big": np.arange(4, dtype=">f8"),
}
for name, a in npy.items():
    np.save(f"corpus_npy/{name}.npy", a)
with open("corpus_npy/v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.arange(3.0), version=(2, 0))

def safetensors(tensors, metadata=None):
    header, off, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for k, (dt, a) in tensors.items():
        b = a.tobytes()
        header[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)

st = {
    "simple": {"w": ("F32", np.arange(6, dtype=np.float32).reshape(2, 3))},
    "mixed": {"a": ("I64", np.array([1, 2])), "b": ("BOOL", np.array([True])),
              "c": ("F64", np.array([0.5])), "d": ("I32", np.array([7], dtype=np.int32))},
    "empty": {},
}
for name, ts in st.items():
    with open(f"corpus_safetensors/{name}.safetensors", "wb") as f:
        f.write(safetensors(ts, {"format": "pt"} if name == "mixed" else None))
