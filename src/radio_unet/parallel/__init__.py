"""Parallel execution over many files or images: serial, a Dask LocalCluster, or a remote scheduler.

On HPC systems start a scheduler with dask-jobqueue (see ``docs/parallel.md``)
and pass its address as ``--scheduler``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..progress import tqdm

from ..errors import describe

__all__ = ["run_parallel"]


def run_parallel(
    func: Callable, items: Iterable, *, workers: int = 1, scheduler: str | None = None, desc: str = "", unit: str = "item"
) -> tuple[list, list[tuple[object, str]]]:
    """Run ``func(item)`` over ``items`` with a progress bar; serial, on a Dask LocalCluster or on a scheduler.

    Parameters
    ----------
    func : callable
        A picklable top-level function.
    items : iterable
    workers : int
        1 runs in this process; more starts a local Dask cluster of that many
        single-threaded worker processes.
    scheduler : str, optional
        Address of an existing Dask scheduler (e.g. one started by
        dask-jobqueue on SLURM); overrides ``workers``.

    Returns
    -------
    results, failures
        The results of the items that worked, and ``(item, message)`` for each
        item that raised; one failure never stops the others.
    """
    items = list(items)
    results, failures = [], []
    if not items:
        return results, failures
    if workers <= 1 and scheduler is None:
        for item in tqdm(items, desc=desc, unit=unit):
            try:
                results.append(func(item))
            except Exception as exc:  # noqa: BLE001 - reported, the run goes on
                failures.append((item, describe(exc)))
        return results, failures

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(scheduler or cluster) as client:
        futures = {client.submit(func, item, pure=False): item for item in items}
        for future in tqdm(as_completed(futures), total=len(futures), desc=desc, unit=unit):
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001
                failures.append((futures[future], describe(exc)))
    if cluster is not None:
        cluster.close()
    return results, failures
