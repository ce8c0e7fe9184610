"""Writes the fixtures of tests/files with PyTorch and NumPy (run with /usr/bin/python3 here)."""
import io, zipfile
import numpy as np
import torch

t = torch.arange(12.).reshape(3, 4)
torch.save({"t": t, "row": t[1], "col": t[:, 2], "tt": t.t(), "i": torch.tensor([[1, 2]], dtype=torch.int32)},
           "views.pt")
np.save("fortran_f4.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("big_endian_i8.npy", np.array([1, -2, 300], dtype=">i8"))
with open("v3_f8.npy", "wb") as f:
    np.lib.format.write_array(f, np.array([[0.5, 1.5]]), version=(3, 0))

def archive(name, pkl):
    """A torch.save-style zip whose data.pkl is `pkl` (stored entries)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", pkl)
        z.writestr(f"{name}/version", "3\n")
    return buf.getvalue()

# a pickle that would run os.system("echo pwned") under pickle.load
evil = b"\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."
with open("evil.pt", "wb") as f:
    f.write(archive("evil", evil))
with open("deflated.pt", "wb") as f:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deflated/data.pkl", b"\x80\x02N." * 50)
    f.write(buf.getvalue())
good = open("views.pt", "rb").read()
with open("truncated.pt", "wb") as f:
    f.write(good[: len(good) // 2])
with open("truncated.npy", "wb") as f:
    f.write(open("fortran_f4.npy", "rb").read()[:-5])
