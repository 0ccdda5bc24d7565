"""The real GLEAM halo set (../shared/data/mwa_gleam_halos): what the reader finds; skips without the data."""

from __future__ import annotations

import numpy as np
import pytest

from radio_unet.conftest import SHARED_DATA
from radio_unet.halos.data import footprints, is_cluster, overlap_groups, scan_gleam

GLEAM = SHARED_DATA / "mwa_gleam_halos"


@pytest.mark.skipif(not (GLEAM / "GLEAM-Data").is_dir(), reason="shared data (GLEAM halo set) not available")
def test_real_set_objects_classes_and_sky_groups():
    """46 objects (23 halo), 9 non-cluster negatives; the overlaps of the data README share a group."""
    objects = scan_gleam(GLEAM)
    assert len(objects) == 46 and sum(o.label for o in objects) == 23
    assert sum(not is_cluster(o.object_id) for o in objects) == 9
    assert all(len(o.files) == 4 for o in objects)
    groups = dict(zip([o.object_id for o in objects], overlap_groups(*footprints(objects))))
    assert groups["orc_2"] == groups["orc_3"]
    assert groups["abell_2744"] == groups["abell_2751"]
    assert len(set(groups.values())) == 32
    assert len(set(np.unique(list(groups.values())))) < len(objects)
