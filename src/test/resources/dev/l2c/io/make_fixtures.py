"""Regenerates the small .npy/.npz fixtures that NpyTest and NpzTest read (numpy's own writer).

Run from this folder: python3 make_fixtures.py. The values follow simple formulas that the tests
recompute, so the tests never need Python.
"""
import numpy as np
from numpy.lib import format as npf

f4 = (np.arange(6, dtype=np.float32) * 0.25 - 1).reshape(2, 3)       # -1, -0.75, ..., 0.25
np.save("f4_2x3.npy", f4)
np.save("f8_scalar.npy", np.float64(1.5))                              # shape (), like the reference's cfg
np.save("i8_vec.npy", np.array([0, -3, 7, 2**40], dtype="<i8"))
np.save("i4_vec.npy", np.array([5, -6, 2**31 - 1], dtype="<i4"))
np.save("u1_2x2.npy", np.array([[0, 1], [128, 255]], dtype=np.uint8))
np.save("b1_vec.npy", np.array([True, False, True]))
np.save("empty_0x3.npy", np.zeros((0, 3), dtype=np.float32))
for version in [(2, 0), (3, 0)]:
    with open("f4_2x3_v%d.npy" % version[0], "wb") as f:
        npf.write_array(f, f4, version=version)
np.save("f4_bigendian.npy", f4.astype(">f4"))
np.save("f4_fortran.npy", np.asfortranarray(f4))
np.save("object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
np.save("f2_vec.npy", np.array([1, 2], dtype=np.float16))

arrays = dict(x=f4, y=np.array([0, 3, 7, 9], dtype=np.int64), cfg=np.float64(1.5))
np.savez("stored.npz", **arrays)
np.savez_compressed("deflated.npz", **arrays)
