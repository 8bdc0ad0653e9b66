"""Feature extractors: HOG (scikit-image) and a convolutional autoencoder (torch).

Imported lazily so that using HOG does not import torch.
"""

from importlib import import_module

_LOCATIONS = {
    "hog_features": ".hog",
    "ConvAutoencoder": ".autoencoder",
}

__all__ = sorted(_LOCATIONS)


def __getattr__(name):
    if name in _LOCATIONS:
        value = getattr(import_module(_LOCATIONS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lshlab.features' has no attribute {name!r}")
