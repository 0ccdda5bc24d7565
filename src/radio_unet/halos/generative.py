"""Generative augmentation: a conditional WGAN-GP and a class-conditional diffusion model (DDPM training, DDIM
sampling), each trained on one training fold only, and the quality checks of what they generate.

Quality checks (:func:`quality_checks`), all against the real images of the same training fold:

* memorisation: the distance of each generated image to its nearest real image, divided by the distance of each
  real image to its nearest other real image (median ratio; well below 1 means copies);
* a classifier two-sample test: the cross-validated accuracy of a logistic regression telling real from generated
  (0.5: indistinguishable to it, 1: trivially told apart);
* a Frechet distance between real and generated images on features of our own encoder (a simple CNN trained on the
  fold's real images; no downloaded Inception weights), beside the same distance between two halves of the real
  images (what sampling noise alone gives).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from torch import nn

from ..errors import RadioUNetError

__all__ = ["train_cwgan_gp", "sample_cwgan", "train_diffusion", "sample_diffusion", "quality_checks",
           "frechet_distance", "nearest_neighbour_ratio", "two_sample_accuracy", "make_synthesizer", "GENERATORS"]

GENERATORS = ("cwgan", "diffusion")


# ----------------------------------------------------------------------------------------------- cWGAN-GP
class _Generator(nn.Module):
    def __init__(self, channels: int, size: int, z_dim: int = 64, width: int = 32):
        super().__init__()
        self.z_dim = z_dim
        self.n_up = int(np.log2(size // 8))
        if 8 * 2 ** self.n_up != size:
            raise RadioUNetError(f"the cWGAN-GP needs a power-of-two size >= 8, got {size}")
        self.embed = nn.Embedding(2, z_dim)
        c0 = width * 2 ** min(self.n_up, 2)
        self.fc = nn.Linear(2 * z_dim, c0 * 64)
        layers, c = [], c0
        for i in range(self.n_up):
            cn = max(width, c // 2)
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, cn, 3, padding=1),
                       nn.BatchNorm2d(cn), nn.ReLU(inplace=True)]
            c = cn
        layers += [nn.Conv2d(c, channels, 3, padding=1), nn.Sigmoid()]
        self.body = nn.Sequential(*layers)
        self.c0 = c0

    def forward(self, z, y):
        h = self.fc(torch.cat([z, self.embed(y)], 1)).view(len(z), self.c0, 8, 8)
        return self.body(h)


class _Critic(nn.Module):
    def __init__(self, channels: int, size: int, width: int = 32):
        super().__init__()
        layers, c = [], channels + 1
        s = size
        for cn in (width, 2 * width, 4 * width, 4 * width):
            if s <= 4:
                break
            layers += [nn.Conv2d(c, cn, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            c, s = cn, s // 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.out = nn.Linear(c * s * s, 1)
        self.size = size

    def forward(self, x, y):
        ymap = y.float().view(-1, 1, 1, 1).expand(-1, 1, self.size, self.size)
        return self.out(self.body(torch.cat([x, ymap], 1))).squeeze(-1)


def train_cwgan_gp(images: np.ndarray, labels: np.ndarray, *, steps: int = 300, batch_size: int = 32,
                   n_critic: int = 3, gp_weight: float = 10.0, seed: int = 0) -> _Generator:
    """Train a conditional WGAN-GP (Gulrajani et al. 2017) on ``(n, c, s, s)`` images in [0, 1] with 0/1 labels.

    Real batches are drawn class-balanced with random 90-degree rotations and flips.

    Returns
    -------
    torch.nn.Module
        The generator (evaluation mode); sample with :func:`sample_cwgan`.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = torch.from_numpy(np.asarray(images, np.float32))
    y_all = torch.from_numpy(np.asarray(labels, np.int64))
    n, c, s, _ = x_all.shape
    gen, critic = _Generator(c, s), _Critic(c, s)
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.0, 0.9))
    w = np.where(labels == 1, 0.5 / max(1, (labels == 1).sum()), 0.5 / max(1, (labels == 0).sum()))
    w = w / w.sum()

    def real_batch():
        idx = rng.choice(n, batch_size, p=w)
        x = x_all[idx]
        k = int(rng.integers(4))
        x = torch.rot90(x, k, dims=(-2, -1))
        if rng.random() < 0.5:
            x = torch.flip(x, dims=(-1,))
        return x, y_all[idx]

    gen.train()
    for _ in range(steps):
        for _ in range(n_critic):
            x, y = real_batch()
            z = torch.randn(batch_size, gen.z_dim)
            with torch.no_grad():
                fake = gen(z, y)
            eps = torch.rand(batch_size, 1, 1, 1)
            mix = (eps * x + (1 - eps) * fake).requires_grad_(True)
            grad, = torch.autograd.grad(critic(mix, y).sum(), mix, create_graph=True)
            gp = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss_c = critic(fake, y).mean() - critic(x, y).mean() + gp_weight * gp
            opt_c.zero_grad(set_to_none=True)
            loss_c.backward()
            opt_c.step()
        y = y_all[rng.choice(n, batch_size, p=w)]
        loss_g = -critic(gen(torch.randn(batch_size, gen.z_dim), y), y).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
    return gen.eval()


@torch.no_grad()
def sample_cwgan(gen: _Generator, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Images of the given labels from a trained generator: ``(len(labels), c, s, s)`` float32."""
    torch.manual_seed(seed)
    y = torch.from_numpy(np.asarray(labels, np.int64))
    return gen(torch.randn(len(y), gen.z_dim), y).numpy().astype(np.float32)


# ---------------------------------------------------------------------------------------------- diffusion
def _unet(channels: int, size: int):
    from diffusers import UNet2DModel

    return UNet2DModel(sample_size=size, in_channels=channels, out_channels=channels, layers_per_block=1,
                       block_out_channels=(32, 64, 64), down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"), num_class_embeds=2,
                       norm_num_groups=8)


def train_diffusion(images: np.ndarray, labels: np.ndarray, *, steps: int = 400, batch_size: int = 16,
                    lr: float = 1e-3, seed: int = 0):
    """Train a class-conditional DDPM (diffusers ``UNet2DModel``, 1000-step linear schedule) on images in [0, 1].

    Returns
    -------
    diffusers.UNet2DModel
        The denoiser (evaluation mode); sample with :func:`sample_diffusion`.
    """
    from diffusers import DDPMScheduler

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = torch.from_numpy(np.asarray(images, np.float32)) * 2 - 1
    y_all = torch.from_numpy(np.asarray(labels, np.int64))
    n, c, s, _ = x_all.shape
    model = _unet(c, s)
    sched = DDPMScheduler(num_train_timesteps=1000)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    lr_sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    w = np.where(labels == 1, 0.5 / max(1, (labels == 1).sum()), 0.5 / max(1, (labels == 0).sum()))
    w = w / w.sum()
    model.train()
    for _ in range(steps):
        idx = rng.choice(n, batch_size, p=w)
        x = torch.rot90(x_all[idx], int(rng.integers(4)), dims=(-2, -1))
        if rng.random() < 0.5:
            x = torch.flip(x, dims=(-1,))
        noise = torch.randn_like(x)
        t = torch.randint(0, sched.config.num_train_timesteps, (batch_size,))
        pred = model(sched.add_noise(x, noise, t), t, class_labels=y_all[idx]).sample
        loss = nn.functional.mse_loss(pred, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lr_sched.step()
    return model.eval()


@torch.no_grad()
def sample_diffusion(model, labels: np.ndarray, *, inference_steps: int = 25, seed: int = 0,
                     batch_size: int = 32) -> np.ndarray:
    """DDIM samples (eta 0) of the given labels: ``(len(labels), c, s, s)`` float32 in [0, 1]."""
    from diffusers import DDIMScheduler

    sched = DDIMScheduler(num_train_timesteps=1000)
    sched.set_timesteps(inference_steps)
    g = torch.Generator().manual_seed(seed)
    c, s = model.config.in_channels, model.config.sample_size
    out = []
    labels = np.asarray(labels, np.int64)
    for i in range(0, len(labels), batch_size):
        y = torch.from_numpy(labels[i:i + batch_size])
        x = torch.randn(len(y), c, s, s, generator=g)
        for t in sched.timesteps:
            eps = model(x, t, class_labels=y).sample
            x = sched.step(eps, t, x, eta=0.0).prev_sample
        out.append(((x.clamp(-1, 1) + 1) / 2).numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, c, s, s), np.float32)


# ------------------------------------------------------------------------------------------ quality checks
def nearest_neighbour_ratio(real: np.ndarray, fake: np.ndarray) -> float:
    """Median distance of a generated image to its nearest real one over the median real-to-other-real distance.

    Examples
    --------
    >>> import numpy as np
    >>> real = np.random.default_rng(0).random((10, 1, 8, 8))
    >>> nearest_neighbour_ratio(real, real[:5] + 1e-3) < 0.05
    True
    """
    r = np.asarray(real, float).reshape(len(real), -1)
    f = np.asarray(fake, float).reshape(len(fake), -1)
    d_rr = np.sqrt(((r[:, None] - r[None]) ** 2).sum(-1))
    np.fill_diagonal(d_rr, np.inf)
    d_fr = np.sqrt(((f[:, None] - r[None]) ** 2).sum(-1))
    return float(np.median(d_fr.min(1)) / np.median(d_rr.min(1)))


def two_sample_accuracy(real: np.ndarray, fake: np.ndarray, seed: int = 0) -> float:
    """Cross-validated accuracy of a logistic regression telling real from generated images (16x16 pixels)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    def feats(a):
        a = torch.from_numpy(np.asarray(a, np.float32))
        return nn.functional.adaptive_avg_pool2d(a, 16).flatten(1).numpy()

    x = np.concatenate([feats(real), feats(fake)])
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    folds = int(min(5, len(real), len(fake)))
    if folds < 2:
        return float("nan")
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(LogisticRegression(C=0.1, max_iter=2000), x, y, cv=cv).mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets ``(n, d)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(500, 3))
    >>> frechet_distance(x, x) < 1e-6, frechet_distance(x, x + 2) > 11
    (True, True)
    """
    from scipy import linalg

    a, b = np.asarray(a, float), np.asarray(b, float)
    mu = a.mean(0) - b.mean(0)
    ca, cb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few samples: near-singular covariances are expected
        covmean = linalg.sqrtm(ca @ cb)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(max(0.0, mu @ mu + np.trace(ca + cb - 2 * covmean)))


def quality_checks(real: np.ndarray, real_labels: np.ndarray, fake: np.ndarray, *, encoder: nn.Module | None = None,
                   seed: int = 0) -> dict:
    """Memorisation, two-sample and Frechet checks of generated images against the real ones (see module doc)."""
    out = {"nn_ratio": nearest_neighbour_ratio(real, fake), "c2st_accuracy": two_sample_accuracy(real, fake, seed)}
    if encoder is not None:
        encoder.eval()
        with torch.no_grad():
            fr = encoder.embed(torch.from_numpy(np.asarray(real, np.float32))).numpy()
            ff = encoder.embed(torch.from_numpy(np.asarray(fake, np.float32))).numpy()
        out["fd_encoder"] = frechet_distance(fr, ff)
        rng = np.random.default_rng(seed)
        perm = rng.permutation(len(fr))
        half = len(fr) // 2
        out["fd_real_halves"] = frechet_distance(fr[perm[:half]], fr[perm[half:]])
    return out


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """Average-pool down or bilinearly interpolate up to ``size`` x ``size``."""
    x = torch.from_numpy(np.asarray(images, np.float32))
    if x.shape[-1] == size:
        return x.numpy()
    if x.shape[-1] > size:
        return nn.functional.adaptive_avg_pool2d(x, size).numpy()
    return nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, None).numpy()


def make_synthesizer(kind: str, *, n_per_class: int | None = None, steps: int | None = None,
                     encoder_steps: int = 100, work_size: int = 32) -> Callable:
    """A ``synthesize(images, labels, seed) -> (images, labels, info)`` for :func:`radio_unet.halos.protocol.run_cv`.

    Parameters
    ----------
    kind : str
        ``"cwgan"`` or ``"diffusion"``.
    n_per_class : int, optional
        Generated images per class (default: as many as the real images of that class).
    steps : int, optional
        Generator training steps (default 300 for the cWGAN-GP, 400 for the diffusion model).
    encoder_steps : int
        Training steps of the fold's encoder for the Frechet distance.
    work_size : int
        Side at which the generator works (the real images are average-pooled to it, the generated ones
        interpolated back to the input size): 32 keeps a fold's generator within minutes on 2 CPU cores.
    """
    if kind not in GENERATORS:
        raise RadioUNetError(f"unknown generator {kind!r} (choose from {', '.join(GENERATORS)})")

    def synthesize(images, labels, seed):
        from .train import TrainConfig, dihedral_variants, fit_classifier

        labels = np.asarray(labels, int)
        t0 = time.perf_counter()
        counts = [n_per_class or int((labels == k).sum()) for k in (0, 1)]
        want = np.r_[np.zeros(counts[0], int), np.ones(counts[1], int)]
        small = _resize(images, min(work_size, images.shape[-1]))
        if kind == "cwgan":
            gen = train_cwgan_gp(small, labels, steps=steps or 300, seed=seed)
            fake = sample_cwgan(gen, want, seed=seed + 1)
        else:
            model = train_diffusion(small, labels, steps=steps or 400, seed=seed)
            fake = sample_diffusion(model, want, seed=seed + 1)
        fake = _resize(fake, images.shape[-1])
        gen_seconds = time.perf_counter() - t0
        encoder, _ = fit_classifier("simple-cnn", None, labels, size=images.shape[-1], augment="classical",
                                    config=TrainConfig(steps=encoder_steps), seed=seed,
                                    variants=dihedral_variants(images))
        info = {"generator": kind, "gen_seconds": round(gen_seconds, 1), "gen_work_size": int(small.shape[-1])}
        info.update(quality_checks(images, labels, fake, encoder=encoder, seed=seed))
        return fake, want, info

    return synthesize
