"""Fine-tuning: which layers are frozen, what stays unchanged, the card, the configuration, the CLI, and that it helps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from astropy.io import fits
from torch import nn

from radio_unet.cli import main
from radio_unet.data.synthetic import write_toy_dataset
from radio_unet.errors import RadioUNetError
from radio_unet.models import UNetConfig, build_model, load_model, save_model
from radio_unet.train import (
    FINETUNE_DEFAULTS,
    RadioUNetModule,
    TrainConfig,
    freeze_all_but_top,
    train,
    weighted_layer_count,
    weighted_layers,
)
from radio_unet.train.batchnorm import is_frozen_batchnorm, recalibrate_batchnorm
from radio_unet.train.finetune import start_from_parent

TINY = {"preset": "lite", "base_filters": 4, "depth": 2}
PARENT_NORM = {"vmin": 1e-9, "vmax": 1e-4, "unit": "Jy/pixel"}


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks: one torch thread is as fast, and much faster on a busy machine (restored afterwards)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def parent(tmp_path):
    """A saved tiny model (random weights, non-default normalisation) to fine-tune."""
    torch.manual_seed(3)
    model = build_model(TINY)
    for m in model.modules():  # non-trivial batch-norm statistics, to see that frozen ones are kept
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "parent"
    card = save_model(path, model.eval(), {"normalization": PARENT_NORM})
    return path, card


def _base(root, out, **extra) -> dict:
    return {"data": {"root": str(root), "tile": 32, "val_fraction": 0.25, "test_fraction": 0.0}, "out": str(out),
            "batch_size": 4, "lr": 1e-3, "progress": False, "accelerator": "cpu", "devices": 1, "test": False, **extra}


def test_layers_are_counted_from_the_output_like_keras():
    """Conv, transposed conv and batch norm count as layers, in the order applied: 9 depth + 5; top 10 of the paper net."""
    for depth in (1, 2, 4):
        cfg = UNetConfig(base_filters=4, depth=depth)
        names = [n for n, _ in weighted_layers(build_model(cfg))]
        assert len(names) == weighted_layer_count(cfg) == 9 * depth + 5
        assert names[0] == "encoder.0.0" and names[-1] == "head"
    names = [n for n, _ in weighted_layers(build_model("paper"))]
    assert names[-10:] == ["decoder.1.conv.0", "decoder.1.conv.1", "decoder.1.conv.3", "decoder.1.conv.4",
                           "decoder.0.up", "decoder.0.conv.0", "decoder.0.conv.1", "decoder.0.conv.3", "decoder.0.conv.4", "head"]
    assert names.index("encoder.4.4") < names.index("decoder.3.up") < names.index("decoder.2.up")  # deepest decoder first


def test_freezing_leaves_exactly_the_top_layers_trainable():
    """Top-N parameters train; frozen batch norm stays in eval mode, also through train() and recalibration."""
    torch.manual_seed(0)
    model = build_model(TINY)
    layers = weighted_layers(model)
    trainable = freeze_all_but_top(model, 6)
    assert trainable == [n for n, _ in layers[-6:]] == ["decoder.0.up", "decoder.0.conv.0", "decoder.0.conv.1",
                                                        "decoder.0.conv.3", "decoder.0.conv.4", "head"]
    for name, p in model.named_parameters():
        assert p.requires_grad == (name.rsplit(".", 1)[0] in trainable), name
    module = RadioUNetModule(TINY)
    module.model.load_state_dict(model.state_dict())
    freeze_all_but_top(module.model, 6)
    module.train()
    norms = {n: m for n, m in module.model.named_modules() if isinstance(m, nn.BatchNorm2d)}
    for name, m in norms.items():
        assert m.training == (name in trainable) and is_frozen_batchnorm(m) == (name not in trainable), name
    before = {n: m.running_var.clone() for n, m in norms.items()}
    recalibrate_batchnorm(module.model, [torch.rand(4, 1, 32, 32) for _ in range(2)])
    for name, m in norms.items():
        assert torch.equal(m.running_var, before[name]) == (name not in trainable), name
        assert m.training == (name in trainable)  # modes restored module by module
    optimizer = module.configure_optimizers()
    assert sum(p.numel() for g in optimizer.param_groups for p in g["params"]) == sum(
        p.numel() for p in model.parameters() if p.requires_grad)
    assert freeze_all_but_top(model, None) == [n for n, _ in layers] and all(p.requires_grad for p in model.parameters())
    for bad in (0, len(layers) + 1):
        with pytest.raises(RadioUNetError, match=f"between 1 and {len(layers)}"):
            freeze_all_but_top(model, bad)


def test_finetuning_run_keeps_frozen_layers_and_records_the_parent(parent, toy_root, tmp_path):
    """A short fine-tuning run: frozen weights and statistics unchanged, top layers changed, parent in the card."""
    path, parent_card = parent
    result = train(TrainConfig.from_dict(_base(toy_root, tmp_path / "ft", epochs=2, init_model=str(path), trainable_layers=6)))
    tuned, card = load_model(result.model_path)
    original, _ = load_model(path)
    top = set(result.card.training["finetuned_from"]["trainable"])
    changed = {k for k, v in original.state_dict().items() if not torch.equal(v, tuned.state_dict()[k])}
    assert {k.rsplit(".", 1)[0] for k in changed} == top  # every trainable layer moved, nothing else
    record = card.training["finetuned_from"]
    assert record["sha256"] == parent_card.sha256 and record["trainable_layers"] == 6 and record["frozen_layers"] == 17
    assert record["trainable_parameters"] < record["parameters"] == tuned.num_parameters()
    assert card.normalization == {**PARENT_NORM, "kind": "log", "box_beams": 40.0, "cap_sigma": 1000.0}  # the parent's,
    # not the default (noise-relative) one
    assert card.architecture == parent_card.architecture
    saved = TrainConfig.from_yaml(result.out / "config.yaml")
    assert saved.init_model == str(path) and saved.trainable_layers == 6 and saved.data.vmin == 1e-9


def test_resumed_finetuning_equals_uninterrupted(parent, toy_root, tmp_path):
    """Stopped after one epoch and resumed, a fine-tuning run ends with exactly the weights of a straight run."""
    base = _base(toy_root, tmp_path / "a", epochs=3, init_model=str(parent[0]), trainable_layers=6)
    straight = train(TrainConfig.from_dict(base))
    train(TrainConfig.from_dict({**base, "out": str(tmp_path / "b"), "epochs": 1}))
    resumed = train(TrainConfig.from_dict({**base, "out": str(tmp_path / "b"), "resume": "last"}))
    a = torch.load(straight.last_checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    b = torch.load(resumed.last_checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_finetuning_configuration_errors(parent, tmp_path):
    """Clear errors: layers without a parent, too many layers, other architectures, a missing parent, Jy/beam limits."""
    path, _ = parent
    base = {"data": {"root": "x", "tile": 32}}
    with pytest.raises(RadioUNetError, match="needs init_model"):
        TrainConfig.from_dict({**base, "trainable_layers": 10})
    with pytest.raises(RadioUNetError, match="between 1 and 23"):
        TrainConfig.from_dict({**base, "init_model": str(path), "trainable_layers": 24})
    with pytest.raises(RadioUNetError, match="keeps the architecture"):
        TrainConfig.from_dict({**base, "init_model": str(path), "model": {"preset": "lite", "base_filters": 8}})
    with pytest.raises(RadioUNetError, match="no model 'nowhere'"):
        TrainConfig.from_dict({**base, "init_model": "nowhere"})
    c = TrainConfig.from_dict({**base, "init_model": str(path), "vmax": 1e-3})  # the user's limit wins, the other is the parent's
    assert (c.data.vmin, c.data.vmax) == (1e-9, 1e-3) and c.model_config().base_filters == 4
    model, card = load_model(path)
    save_model(tmp_path / "jyb", model, {"normalization": {"vmin": 1e-7, "vmax": 1e-2, "unit": "Jy/beam"}})
    with pytest.raises(RadioUNetError, match="Jy/beam"):
        TrainConfig.from_dict({**base, "init_model": str(tmp_path / "jyb")})
    assert TrainConfig.from_dict({**base, "init_model": str(tmp_path / "jyb"), "vmin": 1e-9, "vmax": 1e-4}).data.vmax == 1e-4


def test_finetune_command_documents_its_options_and_uses_paper_defaults(parent, toy_root, tmp_path, capsys):
    """--help documents the options; defaults: top 10 layers, 100 epochs (a YAML file or flags override them)."""
    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--model NAME|PATH", "--trainable-layers", "default 10", "--epochs", "default 100", "--lr",
                   "--image-glob", "--mask-glob", "--val-fraction", "default 0.2", "--empty-ratio", "--augment"):
        assert option in text, option
    assert "--base-filters" not in text  # the architecture comes from the model
    path, card = parent
    (tmp_path / "ft.yaml").write_text(f"data:\n  root: {toy_root}\n  tile: 32\nepochs: 1\nbatch_size: 4\n")
    out = tmp_path / "cli"
    status = main(["finetune", "--config", str(tmp_path / "ft.yaml"), "--model", str(path), "--out", str(out),
                   "--no-progress", "--accelerator", "cpu", "--devices", "1"])
    assert status == 0
    assert "top 10 layers" in capsys.readouterr().out
    saved = json.loads((out / "model.json").read_text())
    assert saved["training"]["finetuned_from"]["sha256"] == card.sha256
    assert saved["training"]["epochs_completed"] == 1  # the file's epochs, not the default 100
    assert saved["training"]["config"]["data"]["val_fraction"] == FINETUNE_DEFAULTS["val_fraction"]


def _mean_iou_on(model_path, folder, threshold_jy_pix: float) -> float:
    from radio_unet.evaluate.metrics import mean_iou
    from radio_unet.io import read_image
    from radio_unet.segment.load import Segmenter

    segmenter = Segmenter(*load_model(model_path))
    scores = []
    for image_path in sorted(folder.glob("*_image.fits")):
        prob = segmenter(read_image(image_path))
        truth = fits.getdata(str(image_path).replace("_image", "_sky")) > threshold_jy_pix
        scores.append(mean_iou(prob > 0.5, truth))
    return float(np.mean(scores))


def test_finetuning_on_real_like_images_improves_their_iou(tmp_path):
    """A tiny model trained on one kind of toy images, fine-tuned on five of another kind, segments new ones of that kind better.

    Training images: 4 px beam, 2e-5 Jy/beam noise, masks at 1e-8 Jy/pixel (far below the noise, as
    in the simulations). "Real-like" images: 6 px beam, 2e-6 Jy/beam noise and masks drawn where the
    emission is visible (1e-7 Jy/pixel), as hand-made or k-sigma masks of real images are. The IoU is
    measured on six other images of the new kind, never seen in fine-tuning.
    """
    sim = write_toy_dataset(tmp_path / "sim", n_images=8, size=64, seed=2)
    real = dict(size=64, beam_fwhm_px=6.0, noise_jy_beam=2e-6, empty_every=0)
    few = write_toy_dataset(tmp_path / "few", n_images=6, seed=5, **real)
    held_out = write_toy_dataset(tmp_path / "held_out", n_images=6, seed=9, **real)
    frozen = train(TrainConfig.from_dict({**_base(sim, tmp_path / "sim_run", epochs=30), "model": TINY}))
    tuned = train(TrainConfig.from_dict({
        **_base(few, tmp_path / "ft_run", epochs=30, init_model=str(frozen.model_path), trainable_layers=10),
        "data": {"root": str(few), "tile": 32, "val_fraction": 0.2, "test_fraction": 0.0, "target": "sky", "sky_threshold": 1e-7},
    }))
    before = _mean_iou_on(frozen.model_path, held_out, 1e-7)
    after = _mean_iou_on(tuned.model_path, held_out, 1e-7)
    print(f"mean IoU on held-out real-like images: frozen {before:.3f}, fine-tuned {after:.3f}")
    assert after > before + 0.05, (before, after)


def test_a_wider_network_starts_from_the_parents_outputs(parent, tmp_path):
    """init_model with a larger base_filters (all layers trainable): the parent is widened, outputs unchanged."""
    path, parent_card = parent
    base = {"data": {"root": "x", "tile": 32}, "init_model": str(path)}
    config = TrainConfig.from_dict({**base, "model": {**TINY, "base_filters": 6}})
    assert config.model_config().base_filters == 6 and config.model_config().depth == 2
    with pytest.raises(RadioUNetError, match="larger base_filters with every layer trainable"):
        TrainConfig.from_dict({**base, "model": {**TINY, "base_filters": 6}, "trainable_layers": 6})
    with pytest.raises(RadioUNetError, match="keeps the architecture"):
        TrainConfig.from_dict({**base, "model": {**TINY, "base_filters": 2}})
    wide = build_model(config.model_config())
    record = start_from_parent(wide, path, None)
    assert record["widened_from_base_filters"] == 4 and record["trainable_parameters"] == wide.num_parameters()
    original, _ = load_model(path)
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(wide.eval()(x), original(x), atol=1e-5)
