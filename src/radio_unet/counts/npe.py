"""Neural posterior estimation of the binned counts with the ``sbi`` package.

The density estimator is ``sbi``'s neural spline flow over the ``K`` bin
targets, conditioned on the field summary of
:class:`~radio_unet.counts.networks.TileSetEmbedding` plus the context. The
prior is a box around the training targets (``sbi`` uses it for the support:
samples outside are rejected); the flow itself learns the targets' training
distribution, which is the prior of the posterior it returns.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flow_builder", "train_flow", "build_flow", "sample_flow"]


class _NoTracker:
    """An ``sbi`` tracker that records nothing (the default writes TensorBoard logs into ./sbi-logs)."""

    log_dir = None

    def log_metric(self, name, value, step=None):
        pass

    def log_metrics(self, metrics, step=None):
        pass

    def log_params(self, params):
        pass

    def add_figure(self, name, figure, step=None):
        pass

    def flush(self):
        pass


def flow_builder(hidden: int = 64, transforms: int = 4):
    """The ``sbi`` builder of the neural spline flow (``posterior_nn(model="nsf")``)."""
    from sbi.neural_nets import posterior_nn

    return posterior_nn(model="nsf", hidden_features=int(hidden), num_transforms=int(transforms))


def _prior(low, high):
    import torch
    from sbi.utils import BoxUniform

    return BoxUniform(torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high, dtype=torch.float32))


def train_flow(theta: np.ndarray, x: np.ndarray, *, low, high, hidden: int = 64, transforms: int = 4,
               max_epochs: int = 300, batch_size: int = 256, learning_rate: float = 5e-4, seed: int = 0):
    """Train an ``sbi`` NPE flow on ``(theta, x)`` pairs.

    Parameters
    ----------
    theta : numpy.ndarray
        ``(n, K)`` targets.
    x : numpy.ndarray
        ``(n, d)`` conditioning summaries.
    low, high : array_like
        The prior box.
    hidden, transforms : int
        Flow size.
    max_epochs, batch_size, learning_rate : optional
        Training settings (``sbi`` stops after 20 epochs without improvement
        on its 10% validation split).
    seed : int

    Returns
    -------
    (torch.nn.Module, dict)
        The density estimator and ``sbi``'s training summary (epochs, best
        validation loss).
    """
    import torch
    from sbi.inference import NPE

    torch.manual_seed(seed)
    inference = NPE(prior=_prior(low, high), density_estimator=flow_builder(hidden, transforms), show_progress_bars=False,
                    tracker=_NoTracker())
    inference.append_simulations(torch.as_tensor(theta, dtype=torch.float32), torch.as_tensor(x, dtype=torch.float32))
    estimator = inference.train(training_batch_size=batch_size, learning_rate=learning_rate, max_num_epochs=max_epochs,
                                stop_after_epochs=20)
    s = inference.summary
    info = {"epochs": int(s["epochs_trained"][-1]), "best_val_loss": float(s["best_validation_loss"][-1])}
    return estimator.eval(), info


def build_flow(n_theta: int, n_x: int, *, hidden: int = 64, transforms: int = 4, state: dict | None = None):
    """An untrained flow of the same shape as :func:`train_flow` makes, with ``state`` loaded."""
    import torch

    gen = torch.Generator().manual_seed(0)
    flow = flow_builder(hidden, transforms)(torch.randn(64, n_theta, generator=gen), torch.randn(64, n_x, generator=gen))
    if state is not None:
        flow.load_state_dict(state)
    return flow.eval()


def sample_flow(flow, x: np.ndarray, n: int, *, low, high, seed: int = 0) -> np.ndarray:
    """Posterior samples for every row of ``x``.

    Returns
    -------
    numpy.ndarray
        ``(len(x), n, K)`` samples of the targets.
    """
    import torch
    from sbi.inference import DirectPosterior

    torch.manual_seed(seed)
    posterior = DirectPosterior(flow, _prior(low, high))
    with torch.no_grad():
        s = posterior.sample_batched((int(n),), x=torch.as_tensor(np.atleast_2d(x), dtype=torch.float32),
                                     show_progress_bars=False)
    return s.permute(1, 0, 2).cpu().numpy()
