"""Hash families as scikit-learn estimators: ``fit(X, y=None)`` then ``transform(X)`` → codes.

Binary families return ``uint8`` 0/1 codes (one column per bit; ``transform(X, packed=True)`` gives
``np.packbits`` bytes); ``PStableHash`` returns signed integers; ``LeeHash`` returns symbols in 0…q−1;
``MinHash`` hashes *sets* (0/1 matrices or lists of integer sets) into ``uint32`` signatures.

Classes are imported lazily so that a lecture needing one family does not import torch.
"""

from importlib import import_module

_LOCATIONS = {
    "BaseHasher": "._base",
    "RandomHyperplaneHash": ".random_projection",
    "PStableHash": ".random_projection",
    "BitSamplingHash": ".random_projection",
    "ShiftInvariantHash": ".shift_invariant",
    "LeeHash": ".lee",
    "PCAHash": ".pca_itq",
    "ITQHash": ".pca_itq",
    "SpectralHash": ".spectral",
    "RBMHash": ".rbm",
    "RBMNCAHash": ".nca",
    "KernelizedHash": ".kernelized",
    "MetricHash": ".metric",
    "MinHash": ".minhash",
    "DeepSupervisedHash": ".deep_supervised",
}

__all__ = sorted(_LOCATIONS)


def __getattr__(name):
    if name in _LOCATIONS:
        value = getattr(import_module(_LOCATIONS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lshlab.hashing' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
