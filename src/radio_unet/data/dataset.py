"""Torch data sets of tiles and the Lightning DataModule that trains the Radio U-Net.

* :class:`TileDataset` cuts tiles lazily from the FITS images of a
  :class:`~radio_unet.data.TileIndex` (memory maps, small LRU of open files),
  normalises them and applies an augmentation chosen by the sampler.
* :class:`NpyTileDataset` serves tiles pre-cut into memory-mapped ``.npy``
  files (:func:`precut_tiles`); useful for compressed FITS or slow disks.
* :class:`TileSampler` decides the order and the augmentation of every
  sample from ``(seed, epoch)`` only, and shards across DDP ranks. Nothing
  depends on global random state or on the number of DataLoader workers, so
  a resumed run sees exactly the samples an uninterrupted run would.
* :class:`RadioDataModule` puts it together from a :class:`DataConfig`:
  discover the image pairs, split them by image, index and balance tiles.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..config import ConfigBase
from ..errors import RadioUNetError
from ..progress import tqdm
from .augment import N_DIHEDRAL, augment_pair
from .normalize import DEFAULT_VMAX, DEFAULT_VMIN, Normalization
from .sources import PairReader, discover_all_pairs
from .tiles import TileIndex, balance_tiles, build_tile_index, split_by_image

__all__ = [
    "DataConfig",
    "TileDataset",
    "NpyTileDataset",
    "TileSampler",
    "precut_tiles",
    "RadioDataModule",
]


def _key(key: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(key, (tuple, list)):
        return int(key[0]), int(key[1])
    return int(key), 0


def _to_tensors(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(image)[None]), torch.from_numpy(np.ascontiguousarray(mask).astype(np.int64))


class TileDataset(Dataset):
    """Tiles cut on demand from the images of a tile index.

    Parameters
    ----------
    index : TileIndex
        Which tiles.
    reader : PairReader
        Opens the images (its cache is per process).
    normalization : Normalization
        Applied to every tile after converting it to the normalisation unit
        with the image's beam.

    Notes
    -----
    ``dataset[i]`` returns tile ``i`` as it is; ``dataset[(i, op)]`` applies
    the symmetry ``op`` (0..7, see :mod:`radio_unet.data.augment`) to image
    and mask. Items are ``(image, mask)`` with image float32 ``(1, T, T)`` in
    ``[0, 1]`` and mask int64 ``(T, T)`` of 0/1.
    """

    def __init__(self, index: TileIndex, reader: PairReader, *, normalization: Normalization | None = None):
        self.index = index
        self.reader = reader
        self.normalization = normalization or Normalization()

    def __len__(self) -> int:
        return len(self.index)

    def arrays(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Normalised image (float32) and mask (uint8) of tile ``i``, not augmented."""
        ix = self.index
        img_no, y, x, t = int(ix.image[i]), int(ix.y[i]), int(ix.x[i]), ix.tile
        meta = ix.metas[img_no]
        raw = self.reader.image_tile(img_no, y, x, t)
        image = self.normalization.apply(raw, unit=meta.unit, beam_area_pixels=meta.beam_area_pixels)
        mask = self.reader.mask_tile(img_no, y, x, t)
        return image, mask

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        i, op = _key(key)
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        image, mask = self.arrays(i % len(self))
        if op:
            image, mask = augment_pair(image, mask, op)
        return _to_tensors(image, mask)


class NpyTileDataset(Dataset):
    """Tiles pre-cut into ``<stem>_images.npy`` (float32) and ``<stem>_masks.npy`` (uint8), memory-mapped.

    Parameters
    ----------
    stem : str or path-like
        Common prefix of the two files (see :func:`precut_tiles`).

    Notes
    -----
    Keys and items as in :class:`TileDataset`.
    """

    def __init__(self, stem: str | os.PathLike):
        self.stem = Path(stem)
        self._images_path = Path(f"{self.stem}_images.npy")
        self._masks_path = Path(f"{self.stem}_masks.npy")
        for p in (self._images_path, self._masks_path):
            if not p.exists():
                raise RadioUNetError(f"{p}: tile store file missing")
        self._images = self._masks = None
        self._len = int(np.load(self._masks_path, mmap_mode="r").shape[0])

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_images"] = state["_masks"] = None
        return state

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        if self._images is None:
            self._images = np.load(self._images_path, mmap_mode="r")
            self._masks = np.load(self._masks_path, mmap_mode="r")
        i, op = _key(key)
        image, mask = np.array(self._images[i]), np.array(self._masks[i])
        if op:
            image, mask = augment_pair(image, mask, op)
        return _to_tensors(image, mask)


def _fingerprint(dataset: TileDataset) -> str:
    ix = dataset.index
    h = hashlib.sha256()
    for arr in (ix.image, ix.y, ix.x):
        h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes())
    h.update(json.dumps([[str(p.image), str(p.target), p.target_kind, p.sky_threshold] for p in ix.pairs]).encode())
    for p in ix.pairs:
        for f in (p.image, p.target):
            st = Path(f).stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    h.update(json.dumps([ix.tile, dataset.normalization.to_dict()]).encode())
    return h.hexdigest()


def precut_tiles(dataset: TileDataset, stem: str | os.PathLike, *, progress: bool = False) -> NpyTileDataset:
    """Write the (normalised, un-augmented) tiles of ``dataset`` into memory-mapped ``.npy`` files.

    The files are written atomically and reused when they already hold the
    same tiles (same images, origins, file sizes/dates and normalisation).
    Tiles are cut image by image, so each image is read once.

    Parameters
    ----------
    dataset : TileDataset
        The tiles to store.
    stem : str or path-like
        Output prefix: ``<stem>_images.npy``, ``<stem>_masks.npy`` and
        ``<stem>.json`` (fingerprint).
    progress : bool
        Show a progress bar.

    Returns
    -------
    NpyTileDataset
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    info_path = Path(f"{stem}.json")
    fingerprint = _fingerprint(dataset)
    if info_path.exists():
        try:
            if json.loads(info_path.read_text()).get("fingerprint") == fingerprint:
                return NpyTileDataset(stem)
        except (ValueError, RadioUNetError):
            pass
    n, t = len(dataset), dataset.index.tile
    tag = f"{socket.gethostname()}.{os.getpid()}"  # several DDP processes may cut the same store at once
    tmp_img = stem.parent / f".{stem.name}_images.{tag}.npy"
    tmp_msk = stem.parent / f".{stem.name}_masks.{tag}.npy"
    try:
        images = np.lib.format.open_memmap(tmp_img, mode="w+", dtype=np.float32, shape=(n, t, t))
        masks = np.lib.format.open_memmap(tmp_msk, mode="w+", dtype=np.uint8, shape=(n, t, t))
        order = np.lexsort((dataset.index.x, dataset.index.y, dataset.index.image))
        iterator = order
        if progress:
            iterator = tqdm(order, desc=f"cutting tiles -> {stem.name}", unit="tile")
        for i in iterator:
            images[i], masks[i] = dataset.arrays(int(i))
        images.flush()
        masks.flush()
        del images, masks
        os.replace(tmp_img, f"{stem}_images.npy")
        os.replace(tmp_msk, f"{stem}_masks.npy")
    except BaseException:
        for p in (tmp_img, tmp_msk):
            if p.exists():
                p.unlink()
        raise
    tmp_info = stem.parent / f".{stem.name}.{tag}.json"
    tmp_info.write_text(json.dumps({"fingerprint": fingerprint, "tiles": n, "tile": t}))
    os.replace(tmp_info, info_path)
    return NpyTileDataset(stem)


class TileSampler(Sampler):
    """Order, augmentation and DDP sharding of tiles, determined by ``(seed, epoch)`` alone.

    Parameters
    ----------
    n : int
        Number of tiles.
    seed : int
        Base seed.
    shuffle : bool
        Random order (new every epoch) or sequential.
    augment : bool
        Yield ``(index, op)`` keys with a random symmetry ``op`` per sample;
        otherwise plain indices.
    num_replicas, rank : int
        Number of DDP processes and this process's rank: every rank gets
        every ``num_replicas``-th sample of the same global order.
    pad : bool
        Repeat samples so that all ranks get the same number (needed for
        training, where ranks synchronise every step); validation does not pad.
    epoch_fn : callable, optional
        Returns the current epoch when an iteration starts; overrides
        :meth:`set_epoch`. :class:`RadioDataModule` reads it from the trainer,
        because on resuming Lightning creates the first DataLoader iterator
        (whose worker processes fetch indices at once) before it calls
        ``set_epoch``.

    Notes
    -----
    Lightning calls :meth:`set_epoch` at the start of every epoch.
    """

    def __init__(
        self,
        n: int,
        *,
        seed: int = 0,
        shuffle: bool = True,
        augment: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
        pad: bool = True,
        epoch_fn: Callable[[], int] | None = None,
    ):
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise RadioUNetError(f"invalid rank {rank} of {num_replicas} replicas")
        self.n, self.seed, self.shuffle, self.augment = int(n), int(seed), bool(shuffle), bool(augment)
        self.num_replicas, self.rank, self.pad = int(num_replicas), int(rank), bool(pad)
        self.epoch = 0
        self.epoch_fn = epoch_fn

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order and augmentations to produce."""
        self.epoch = int(epoch)

    def _global(self) -> tuple[np.ndarray, np.ndarray]:
        epoch = self.epoch
        if self.epoch_fn is not None:
            try:
                epoch = int(self.epoch_fn())
            except Exception:  # noqa: BLE001 - no trainer state: fall back to set_epoch
                epoch = self.epoch
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, epoch, 0x7113]))
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        ops = rng.integers(0, N_DIHEDRAL, size=self.n) if self.augment else np.zeros(self.n, np.int64)
        return order, ops

    def __len__(self) -> int:
        if self.num_replicas == 1:
            return self.n
        if self.pad:
            return -(-self.n // self.num_replicas)
        return len(range(self.rank, self.n, self.num_replicas))

    def __iter__(self) -> Iterator[int | tuple[int, int]]:
        order, ops = self._global()
        if self.num_replicas > 1:
            if self.pad and self.n:
                total = len(self) * self.num_replicas
                reps = np.resize(np.arange(self.n), total)
                order, ops = order[reps], ops[reps]
            order, ops = order[self.rank :: self.num_replicas], ops[self.rank :: self.num_replicas]
        for i, op in zip(order.tolist(), ops.tolist()):
            yield (i, op) if self.augment else i


def _empty_ratio(text: str) -> float | str:
    """``--empty-ratio``: a number, or ``all`` (``none``) to keep every empty tile."""
    return "all" if str(text).strip().lower() in ("all", "none") else float(text)


@dataclass
class DataConfig(ConfigBase):
    """Where the training data are and how to cut them into tiles.

    Parameters
    ----------
    root : str or list of str
        Data set folder (required before use) (``manifest.csv`` of ``radio-unet simulate``, or FITS
        files matched by ``image_glob`` and ``mask_glob``/``sky_glob``), or several folders trained on
        together (e.g. one per survey preset; :meth:`roots`): their image ids become
        ``<folder name>/<id>`` and the split by image is drawn over all of them.
    image_glob, mask_glob, sky_glob : str, optional
        File patterns for user folders (see :func:`radio_unet.data.find_pairs`).
    pairing : {"name", "sorted"}
        How user files are paired.
    target : {"mask", "sky", "labels"}
        For manifests: the ready ``mask`` column, or the ``sky`` column
        thresholded at ``sky_threshold``.
    sky_threshold : float
        Jy/pixel threshold turning sky models into masks (1e-8 in the paper).
    unit : {"Jy/beam", "Jy/pixel"}, optional
        Unit assumed for images without BUNIT.
    beam : str, optional
        Beam ``"BMAJ[,BMIN,BPA]"`` (arcsec) assumed for images without one.
    tile : int
        Tile size in pixels (192 in the paper); a multiple of ``2**depth``.
    stride : int, optional
        Step between training tiles (default ``tile``).
    empty_ratio : float or None
        Training tiles: all non-empty tiles plus this many empty tiles per
        non-empty one (None: keep all). Validation and test keep all tiles.
    min_valid_fraction : float
        Drop tiles with fewer finite pixels than this.
    val_fraction, test_fraction : float
        Fractions of *images* held out for validation and test.
    augment : bool
        Random flips and 90-degree rotations of training tiles.
    norm : {"snr", "log"}, optional
        Input normalisation (:class:`~radio_unet.data.Normalization`):
        ``snr``, noise-relative (the default), or ``log``, the paper's
        absolute log stretch (the default when ``vmin``/``vmax`` are given;
        when fine-tuning, the parent model's).
    vmin, vmax : float, optional
        Normalisation limits in Jy/pixel (``log``); None (not given): the
        paper's 1e-10 and 1e-5, or, when fine-tuning, those of the model
        fine-tuned.
    cache : {"none", "npy"}
        ``npy``: pre-cut tiles into memory-mapped files under ``cache_dir``.
    cache_dir : str, optional
        Folder of the tile cache.
    max_open : int
        Image pairs kept open per process.
    """

    root: str | list[str] | None = None
    image_glob: str | None = None
    mask_glob: str | None = None
    sky_glob: str | None = None
    pairing: str = "name"
    target: str = "mask"
    sky_threshold: float = 1e-8
    unit: str | None = None
    beam: str | None = None
    tile: int = 192
    stride: int | None = None
    empty_ratio: float | None = 1.0
    min_valid_fraction: float = 0.5
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    augment: bool = True
    norm: str | None = None
    vmin: float | None = None
    vmax: float | None = None
    cache: str = "none"
    cache_dir: str | None = None
    max_open: int = 4

    label = "data"
    choices = {"pairing": ("name", "sorted"), "target": ("mask", "sky", "labels"), "unit": ("Jy/beam", "Jy/pixel"),
               "norm": ("snr", "log"), "cache": ("none", "npy")}
    parsers = {"empty_ratio": _empty_ratio}

    def __post_init__(self):
        self.check_choices()
        self.check_number("tile", integer=True, positive=True)
        self.check_number("stride", integer=True, positive=True, optional=True)
        for name in ("val_fraction", "test_fraction", "min_valid_fraction"):
            self.check_number(name, lo=0.0, hi=1.0)
        if isinstance(self.root, (list, tuple)):
            self.root = [str(r) for r in self.root] if len(self.root) > 1 else (str(self.root[0]) if self.root else None)
        names = [Path(r).name for r in self.roots()]
        if len(set(names)) != len(names):
            raise RadioUNetError(f"data folders trained on together need different names, got {', '.join(self.roots())}")
        self.normalization()  # validates the limits

    def roots(self) -> list[str]:
        """The data set folders (``root`` as a list; empty when none is set)."""
        if not self.root:
            return []
        return [self.root] if isinstance(self.root, str) else list(self.root)

    def normalization(self) -> Normalization:
        """The :class:`Normalization` of these settings."""
        kind = self.norm or ("log" if self.vmin is not None or self.vmax is not None else "snr")
        return Normalization(
            DEFAULT_VMIN if self.vmin is None else self.vmin, DEFAULT_VMAX if self.vmax is None else self.vmax, "Jy/pixel",
            kind=kind,
        )


def _trainer_epoch(trainer) -> Callable[[], int] | None:
    """The epoch Lightning passes to ``set_epoch``, read from the (restored) fit loop."""
    if trainer is None:
        return None
    return lambda: trainer.fit_loop.epoch_progress.current.processed


class RadioDataModule(pl.LightningDataModule):
    """Lightning DataModule: image pairs -> split by image -> balanced, augmented tiles.

    Parameters
    ----------
    config : DataConfig
        The data settings.
    batch_size : int
        Tiles per batch (per process under DDP).
    num_workers : int
        DataLoader worker processes.
    seed : int
        Seed of the split, the balancing, the order and the augmentations.
    progress : bool
        Progress bars while indexing and caching.

    Notes
    -----
    Under DDP, use ``Trainer(use_distributed_sampler=False)`` (as
    :func:`radio_unet.train.train` does): the :class:`TileSampler` then
    shards the data itself with per-sample augmentations that change every
    epoch. With Lightning's default, Lightning wraps and shards the sampler
    instead, which also works.

    Attributes
    ----------
    splits : dict
        Image ids of ``train``, ``val`` and ``test`` (after :meth:`setup`).
    train_index, val_index, test_index : TileIndex
        The tiles of each split (after :meth:`setup`).
    """

    def __init__(self, config: DataConfig, *, batch_size: int = 50, num_workers: int = 0, seed: int = 0, progress: bool = False):
        super().__init__()
        self.config = config
        self.batch_size = int(batch_size)
        self.num_workers = int(num_workers)
        self.seed = int(seed)
        self.progress = progress
        self.splits: dict[str, list[str]] = {}
        self.datasets: dict[str, Dataset] = {}
        self.train_index = self.val_index = self.test_index = None
        self._ready = False

    def setup(self, stage: str | None = None) -> None:
        """Discover, split, index and balance (once; later calls do nothing)."""
        if self._ready:
            return
        cfg = self.config
        if not cfg.root:
            raise RadioUNetError("no data set folder given (data.root / --data)")
        pairs = discover_all_pairs(
            cfg.roots(),
            image_glob=cfg.image_glob,
            mask_glob=cfg.mask_glob,
            sky_glob=cfg.sky_glob,
            pairing=cfg.pairing,
            target=cfg.target,
            sky_threshold=cfg.sky_threshold,
        )
        reader = PairReader(pairs, unit=cfg.unit, beam=cfg.beam, max_open=cfg.max_open)
        full = build_tile_index(reader, tile=int(cfg.tile), stride=cfg.stride, min_valid_fraction=cfg.min_valid_fraction, progress=self.progress)
        self.full_index = full
        self.splits = split_by_image([p.id for p in pairs], val_fraction=cfg.val_fraction, test_fraction=cfg.test_fraction, seed=self.seed)
        train = full.for_images(self.splits["train"])
        if not len(train):
            raise RadioUNetError("no training tiles: the training images are all smaller than the tile or blank")
        self.train_index = train.subset(balance_tiles(train.nonempty, empty_ratio=cfg.empty_ratio, seed=self.seed))
        self.val_index = full.for_images(self.splits["val"])
        self.test_index = full.for_images(self.splits["test"])
        norm = cfg.normalization()
        for name, index in (("train", self.train_index), ("val", self.val_index), ("test", self.test_index)):
            ds: Dataset = TileDataset(index, reader, normalization=norm)
            if cfg.cache == "npy" and len(index):
                roots = cfg.roots()
                default_cache = Path(roots[0]) / ".tile_cache" if len(roots) == 1 else Path(roots[0]).parent / ".tile_cache"
                cache_dir = Path(cfg.cache_dir) if cfg.cache_dir else default_cache
                ds = precut_tiles(ds, cache_dir / name, progress=self.progress)
            self.datasets[name] = ds
        self._ready = True

    # -- information for logs and the model card ---------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Numbers of images and tiles per split, training pixel scale and beam (medians)."""
        if not self._ready:
            self.setup()
        metas = self.full_index.metas
        train_ids = set(self.splits["train"])
        train_metas = [m for p, m in zip(self.full_index.pairs, metas) if p.id in train_ids]
        beams = [(m.beam, m) for m in train_metas if m.beam is not None]
        pixel = float(np.median([m.pixel_scale_arcsec for m in train_metas])) if train_metas else float("nan")
        out: dict[str, Any] = {
            "root": (str(Path(self.config.root).resolve()) if isinstance(self.config.root, str)
                     else [str(Path(r).resolve()) for r in self.config.roots()]),
            "images": len(self.full_index.pairs),
            "splits": {k: list(v) for k, v in self.splits.items()},
            "train_tiles": len(self.train_index),
            "train_nonempty_tiles": int(self.train_index.nonempty.sum()),
            "val_tiles": len(self.val_index),
            "test_tiles": len(self.test_index),
            "foreground_fraction": self.train_index.foreground_fraction(),
            "pixel_scale_arcsec": round(pixel, 6) if train_metas else None,
            # the beam in the median training pixels: what segment resamples to (several surveys: their median
            # sampling of the beam, not the median beam of one and pixel of another)
            "beam_arcsec": (
                {
                    "major": round(pixel * float(np.median([b.major / m.pixel_scale_arcsec for b, m in beams])), 6),
                    "minor": round(pixel * float(np.median([b.minor / m.pixel_scale_arcsec for b, m in beams])), 6),
                    "pa": round(float(np.median([b.pa for b, _ in beams])), 6),
                }
                if beams
                else None
            ),
        }
        return out

    # -- loaders --------------------------------------------------------------------------------
    def _world(self) -> tuple[int, int]:
        trainer = getattr(self, "trainer", None)
        if trainer is not None:
            if getattr(getattr(trainer, "_accelerator_connector", None), "use_distributed_sampler", False):
                return 1, 0  # Lightning wraps the sampler and shards it itself
            return int(trainer.world_size), int(trainer.global_rank)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_world_size(), torch.distributed.get_rank()
        return 1, 0

    def _loader(self, name: str, *, train: bool) -> DataLoader:
        if not self._ready:
            self.setup()
        ds = self.datasets[name]
        world, rank = self._world()
        sampler = TileSampler(
            len(ds),
            seed=self.seed,
            shuffle=train,
            augment=train and self.config.augment,
            num_replicas=world,
            rank=rank,
            pad=train,
            epoch_fn=_trainer_epoch(getattr(self, "trainer", None)) if train else None,
        )
        trainer = getattr(self, "trainer", None)
        pin = bool(trainer is not None and getattr(trainer.accelerator, "__class__", type).__name__ == "CUDAAccelerator")
        return DataLoader(
            ds,
            batch_size=self.batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            pin_memory=pin,
            persistent_workers=self.num_workers > 0,
            drop_last=False,
        )

    def train_dataloader(self) -> DataLoader:  # noqa: D102
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:  # noqa: D102
        return self._loader("val", train=False)

    def test_dataloader(self) -> DataLoader:  # noqa: D102
        return self._loader("test", train=False)
