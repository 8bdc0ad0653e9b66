"""Semantic hashing fine-tuned with neighbourhood components analysis (NCA) — a *supervised* code.

Pre-training (:class:`~lshlab.hashing.RBMHash`) builds a stack of RBMs without labels. Salakhutdinov &
Hinton, "Learning a nonlinear embedding by preserving class neighbourhood structure" (AISTATS 2007), then
fine-tune the whole stack ``f(x | W)`` with backpropagation on the NCA objective of Goldberger, Roweis,
Hinton & Salakhutdinov, "Neighbourhood components analysis" (NIPS 2004):

.. math:: O_{NCA} = \\sum_{a=1}^{N} \\sum_{b:\\, c_b = c_a} p_{ab}, \\qquad
          p_{ab} = \\frac{\\exp(-d_{ab})}{\\sum_{z \\ne a} \\exp(-d_{az})}, \\quad p_{aa} = 0, \\qquad
          d_{ab} = \\lVert f(x_a \\mid W) - f(x_b \\mid W) \\rVert^2 .

``p_ab`` is the probability that ``a`` picks ``b`` as its neighbour in a soft nearest-neighbour rule, so
``O_NCA / N`` is the expected leave-one-out accuracy of that rule in the code space: maximising it pulls
each point towards the points of its own class ``c_a``. The labels ``c`` make this a **supervised**
method, unlike the pre-training, PCAH, ITQ or spectral hashing.

Gradient (:func:`nca_gradient`). With ``p_a = Σ_{b: c_b = c_a} p_ab`` and ``δ_ab = 1[c_a = c_b]``,
``∂O/∂d_ab = p_ab (p_a − δ_ab)`` through row ``a``; ``d_ab`` also appears in row ``b``, so with the
symmetric ``G = g + gᵀ``, ``g_ab = p_ab (p_a − δ_ab)``,

.. math:: \\frac{\\partial O_{NCA}}{\\partial F} = 2\\,(\\operatorname{diag}(G\\mathbf 1) - G)\\,F .

:class:`RBMNCAHash` fine-tunes by Adam on the minibatch objective (``p_ab`` normalised inside each
minibatch of ``batch_size`` points, as the objective cannot be evaluated on all ``N²`` pairs at scale),
with ``f`` the sigmoid top layer of the stack; codes are its outputs thresholded at their training
medians, as for :class:`~lshlab.hashing.RBMHash`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.utils import check_random_state

from .._validation import check_matrix, check_positive_float, check_positive_int
from ._base import BaseHasher
from .rbm import RBMHash

__all__ = ["nca_probabilities", "nca_objective", "nca_gradient", "nca_objective_torch", "RBMNCAHash"]


def _check_features_labels(F, y):
    F = check_matrix(F, "F", dtype=np.float64)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != F.shape[0]:
        raise ValueError(f"y must be 1-D with one label per row of F ({F.shape[0]}), got shape {y.shape}")
    if F.shape[0] < 2:
        raise ValueError("NCA needs at least 2 points (each point picks a neighbour among the others)")
    return F, y


def nca_probabilities(F):
    """``p_ab = exp(−d_ab) / Σ_{z≠a} exp(−d_az)`` with ``d_ab = ‖F_a − F_b‖²`` and ``p_aa = 0`` (rows sum to 1)."""
    F = check_matrix(F, "F", dtype=np.float64)
    if F.shape[0] < 2:
        raise ValueError("NCA needs at least 2 points (each point picks a neighbour among the others)")
    sq = np.einsum("ij,ij->i", F, F)
    D = np.maximum(sq[:, None] + sq[None, :] - 2.0 * F @ F.T, 0.0)
    np.fill_diagonal(D, np.inf)
    logits = -D - (-D).max(axis=1, keepdims=True)  # stable softmax; exp(-inf) = 0 on the diagonal
    P = np.exp(logits)
    return P / P.sum(axis=1, keepdims=True)


def nca_objective(F, y):
    """``O_NCA = Σ_a Σ_{b: y_b = y_a} p_ab`` for the embedded points ``F`` (rows) and labels ``y``.

    Between 0 and ``N``; ``O_NCA / N`` is the expected leave-one-out accuracy of the soft
    nearest-neighbour rule (see the module docstring)."""
    F, y = _check_features_labels(F, y)
    same = y[:, None] == y[None, :]
    return float((nca_probabilities(F) * same).sum())


def nca_gradient(F, y):
    """Analytic gradient ``∂O_NCA/∂F = 2 (diag(G 1) − G) F`` (module docstring), shape of ``F``."""
    F, y = _check_features_labels(F, y)
    P = nca_probabilities(F)
    same = y[:, None] == y[None, :]
    np.fill_diagonal(same, False)
    p_a = (P * same).sum(axis=1)
    g = P * (p_a[:, None] - same)
    G = g + g.T
    return 2.0 * (G.sum(axis=1)[:, None] * F - G @ F)


def nca_objective_torch(F, y):
    """:func:`nca_objective` in torch (differentiable): ``F`` a float tensor (n, m), ``y`` integer labels (n,)."""
    import torch

    D = torch.cdist(F, F).pow(2)
    D = D + torch.diag(torch.full((F.shape[0],), float("inf"), dtype=F.dtype))
    logp = torch.log_softmax(-D, dim=1)
    same = (y[:, None] == y[None, :]).to(F.dtype)
    return (logp.exp() * same).sum()


class RBMNCAHash(BaseHasher):
    """RBM semantic hashing fine-tuned with NCA (supervised): ``fit(X, y)`` needs class labels.

    The stack ``x → σ(W₁ᵀx + c₁) → … → σ(W_Lᵀh + c_L)`` starts from a pre-trained
    :class:`~lshlab.hashing.RBMHash` (``init``, or one trained here) and is fine-tuned by Adam to maximise
    the minibatch ``O_NCA`` (module docstring). Codes: the top layer's outputs above their training
    medians.

    Parameters
    ----------
    n_bits : int, default 32
    hidden : tuple of int, default (128,)
        Hidden layers below the code layer (as :class:`~lshlab.hashing.RBMHash`).
    rbm_max_iter : int, default 20
        Pre-training epochs per RBM layer (ignored with ``init``).
    rbm_learning_rate : float, default 0.1
        Pre-training step size (ignored with ``init``).
    rescale : {"none", "minmax"}, default "none"
        Input scaling of the pre-trained stack (as :class:`~lshlab.hashing.RBMHash`; ignored with ``init``,
        whose own scaling is used).
    max_iter : int, default 20
        Fine-tuning epochs (passes over the training set).
    learning_rate : float, default 1e-3
        Adam step size of the fine-tuning.
    batch_size : int, default 500
        Points per fine-tuning minibatch; ``p_ab`` is normalised over the other points of the batch.
    init : None or fitted RBMHash
        The pre-trained stack to start from (copied, never modified); its ``n_bits`` and ``hidden`` must
        match. None pre-trains ``RBMHash(n_bits, hidden, rbm_max_iter, rbm_learning_rate)`` on ``X``.
    random_state : None, int or RandomState
        Seeds the pre-training, the minibatch order and the evaluation sample.
    n_jobs : int or None, default 1
        Torch threads (None: the CPU cores, at most 8). The products are small (a minibatch of a few
        hundred rows through a few hundred units), and one thread was measured faster than two; more
        threads pay only for wide stacks and large batches. CPU kernels used here are deterministic, so
        a fixed ``random_state`` gives the same model for any ``n_jobs``.
    progress : bool
        Show a tqdm bar over the fine-tuning epochs.

    Attributes
    ----------
    weights_ : list of (ndarray (n_in, n_out), ndarray (n_out,))
        Fine-tuned layers (float32).
    thresholds_ : ndarray (n_bits,)
        Training medians of the top-layer outputs.
    objective_ : ndarray (max_iter + 1,)
        ``O_NCA / n`` (mean per point, in [0, 1]) on a fixed sample of at most ``batch_size`` training
        points, before fine-tuning (entry 0) and after every epoch.
    rbm_ : RBMHash
        The pre-trained stack fine-tuning started from.
    classes_ : ndarray
    n_iter_ : int
        Fine-tuning epochs run (always ``max_iter``).
    """

    def __init__(self, n_bits=32, hidden=(128,), rbm_max_iter=20, rbm_learning_rate=0.1, rescale="none",
                 max_iter=20, learning_rate=1e-3, batch_size=500, init=None, random_state=None, n_jobs=1,
                 progress=False):
        self.n_bits = n_bits
        self.hidden = hidden
        self.rbm_max_iter = rbm_max_iter
        self.rbm_learning_rate = rbm_learning_rate
        self.rescale = rescale
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.init = init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def _pretrained(self, X, n_bits, rng):
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.init is None:
            return RBMHash(n_bits, hidden=self.hidden, max_iter=self.rbm_max_iter,
                           learning_rate=self.rbm_learning_rate, rescale=self.rescale, random_state=seed).fit(X)
        init = self.init
        if not isinstance(init, RBMHash) or not hasattr(init, "layers_"):
            raise ValueError(f"init must be a fitted RBMHash (or None), got {init!r}")
        sizes = tuple(layer.n_components for layer in init.layers_)
        hidden = tuple(int(h) for h in self.hidden)
        if sizes != hidden + (n_bits,) or init.n_features_in_ != X.shape[1]:
            raise ValueError(f"init has layers {sizes} on {init.n_features_in_} features, but this model needs "
                             f"hidden={hidden} and n_bits={n_bits} on {X.shape[1]} features")
        return init

    def _checked_labels(self, X, y):
        if y is None:
            raise ValueError("RBMNCAHash requires y to be passed, but the target y is None: it is supervised, "
                             "fit(X, y) needs the class labels y (NCA pulls each point towards its own class)")
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y.shape}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("y must hold at least two classes for NCA (with one class O_NCA is constant)")
        return codes

    def fit(self, X, y=None):
        import torch

        from .._torch import torch_settings

        n_bits = check_positive_int(self.n_bits, "n_bits")
        max_iter = check_positive_int(self.max_iter, "max_iter", minimum=0)
        learning_rate = check_positive_float(self.learning_rate, "learning_rate")
        batch = check_positive_int(self.batch_size, "batch_size", minimum=2)
        X = self._validate_fit_input(X)
        labels = self._checked_labels(X, y)
        rng = check_random_state(self.random_state)
        self.rbm_ = self._pretrained(X, n_bits, rng)
        H = self._unit_interval(X)
        torch_seed, eval_seed = (int(s) for s in rng.randint(np.iinfo(np.int32).max, size=2))
        eval_idx = np.sort(np.random.RandomState(eval_seed).permutation(X.shape[0])[: min(batch, X.shape[0])])
        with torch_settings(self.n_jobs):
            gen = torch.Generator().manual_seed(torch_seed)
            layers = [(torch.tensor(rbm.components_.T, dtype=torch.float32, requires_grad=True),
                       torch.tensor(rbm.intercept_hidden_, dtype=torch.float32, requires_grad=True))
                      for rbm in self.rbm_.layers_]
            params = [t for layer in layers for t in layer]
            optimiser = torch.optim.Adam(params, lr=learning_rate)
            Xt, yt = torch.from_numpy(H), torch.from_numpy(labels)

            def forward(A):
                for W, c in layers:
                    A = torch.sigmoid(A @ W + c)
                return A

            def evaluate():
                with torch.no_grad():
                    return float(nca_objective_torch(forward(Xt[eval_idx]), yt[eval_idx])) / eval_idx.size

            history = [evaluate()]
            epochs = range(max_iter)
            if self.progress:
                from tqdm.auto import tqdm

                epochs = tqdm(epochs, desc=f"NCA fine-tuning, {n_bits} bits", unit="epoch")
            for _ in epochs:
                order = torch.randperm(Xt.shape[0], generator=gen)
                for start in range(0, Xt.shape[0] - 1, batch):
                    idx = order[start:start + batch]
                    if idx.numel() < 2:
                        continue
                    optimiser.zero_grad()
                    loss = -nca_objective_torch(forward(Xt[idx]), yt[idx]) / idx.numel()
                    loss.backward()
                    optimiser.step()
                history.append(evaluate())
        self.weights_ = [(W.detach().numpy().copy(), c.detach().numpy().copy()) for W, c in layers]
        self.objective_ = np.asarray(history)
        self.n_iter_ = max_iter
        self.thresholds_ = np.median(self._forward(H), axis=0)
        return self

    def _unit_interval(self, X):
        """The pre-trained stack's input scaling: its min–max map when it has one, else a range check."""
        X = np.asarray(X, dtype=np.float32)
        if hasattr(self.rbm_, "data_min_"):
            span = self.rbm_.data_max_ - self.rbm_.data_min_
            span = np.where(span > 0, span, 1.0)
            return np.clip((X - self.rbm_.data_min_) / span, 0.0, 1.0).astype(np.float32)
        lo, hi = float(X.min()), float(X.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"RBMNCAHash needs inputs in [0, 1] (Bernoulli visible units), got values in "
                             f"[{lo:.4g}, {hi:.4g}]; scale the data or pre-train init with rescale='minmax'")
        return X

    def _forward(self, H):
        A = np.asarray(H, dtype=np.float32)
        for W, c in self.weights_:
            A = expit(A @ W + c)
        return A

    def activations(self, X):
        """Top-layer outputs ``f(x)`` (before thresholding), float32 (n_samples, n_bits)."""
        X = self._validate_transform_input(X)
        return self._forward(self._unit_interval(X))

    def _encode(self, X):
        return (self._forward(self._unit_interval(X)) > self.thresholds_).astype(np.uint8)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # supervised: fit(X, y)
        return tags
